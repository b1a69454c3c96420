// The id a client chose for a request. JSON-RPC allows a string, a number or null, and the reply
// must carry the same value back; numbers keep their literal (see JSONNumber) so `1.0` comes
// back as `1.0`, not `1`.

/// A request id: string, number or null.
public enum RequestID: Hashable, Sendable {
    case string(String)
    case number(JSONNumber)
    /// Only in replies to messages whose id could not be read (parse errors, invalid requests).
    case null

    /// The id from a message's `id` member; nil for types JSON-RPC does not allow (bool, array, object).
    public init?(json: JSONValue) {
        switch json {
        case .string(let string): self = .string(string)
        case .number(let number): self = .number(number)
        case .null: self = .null
        case .bool, .array, .object: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .string(let string): return .string(string)
        case .number(let number): return .number(number)
        case .null: return .null
        }
    }
}

extension RequestID: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
}

extension RequestID: CustomStringConvertible {
    /// The id as JSON (`7`, `"abc"`, `null`), as it appears on the wire.
    public var description: String { JSON.string(json) }
}

extension RequestID: Codable {
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        guard let id = RequestID(json: value) else {
            throw DecodingError.typeMismatch(RequestID.self, DecodingError.Context(
                codingPath: decoder.codingPath,
                debugDescription: "expected a string, number or null, got \(ValueDecoder.describe(value))"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
