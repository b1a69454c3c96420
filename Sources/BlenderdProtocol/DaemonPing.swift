import JSONRPC

/// `daemon.ping`: liveness, answered by the daemon alone (no Blender involved).
public enum DaemonPing: RPCMethod {
    public static let name = "daemon.ping"

    /// No parameters: absent or `{}`.
    public typealias Params = NoParams

    public struct Result: Codable, Sendable, Equatable, JSONValueRepresentable {
        public var pong: Bool
        public init(pong: Bool = true) { self.pong = pong }
        public var jsonValue: JSONValue { ["pong": .bool(pong)] }
    }
}
