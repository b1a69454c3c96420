// A method's wire contract as a type: its name and Codable params/result. BlenderdProtocol has
// one small file per method conforming to this; the dispatcher decodes params and encodes
// results from it, so handlers only see typed values.

/// A JSON-RPC method: `static let name = "session.open"` plus by-name `Params` and a `Result`.
public protocol RPCMethod {
    associatedtype Params: Codable & Sendable
    associatedtype Result: Codable & Sendable
    static var name: String { get }
}

/// A notification the daemon sends (e.g. `render.progress`): a name and params, never a reply.
public protocol RPCNotification {
    associatedtype Params: Codable & Sendable
    static var name: String { get }
}

extension Request {
    /// A notification built from a typed description, params encoded with `JSONValueEncoder`.
    public static func notification<N: RPCNotification>(_ type: N.Type, params: N.Params) throws -> Request {
        Request(id: nil, method: N.name, params: try JSONValueEncoder().encode(params))
    }
}
