// The members of a message object that JSON-RPC gives meaning to, captured either from a parsed
// object or directly by the parser (see JSONParser.parseBody), so validation has one input type
// and the request path never builds a dictionary for the envelope.

enum EnvelopeKey: String {
    case jsonrpc, id, method, params, result, error

    /// Matches a key given as plain ASCII bytes (no escapes). Dispatches on the length so
    /// a key is compared with at most one candidate of each size.
    init?(ascii bytes: UnsafeBufferPointer<UInt8>) {
        let candidate: EnvelopeKey
        switch (bytes.count, bytes.first) {
        case (2, UInt8(ascii: "i")?): candidate = .id
        case (5, UInt8(ascii: "e")?): candidate = .error
        case (6, UInt8(ascii: "m")?): candidate = .method
        case (6, UInt8(ascii: "p")?): candidate = .params
        case (6, UInt8(ascii: "r")?): candidate = .result
        case (7, UInt8(ascii: "j")?): candidate = .jsonrpc
        default: return nil
        }
        let name = candidate.name
        for k in 1..<bytes.count where bytes[k] != name.utf8Start[k] {
            return nil
        }
        self = candidate
    }

    private var name: StaticString {
        switch self {
        case .jsonrpc: return "jsonrpc"
        case .id: return "id"
        case .method: return "method"
        case .params: return "params"
        case .result: return "result"
        case .error: return "error"
        }
    }
}

/// The six members JSON-RPC gives meaning to, by key: their values (EnvelopeFields) or where
/// they are in the input (EnvelopeRanges, the validating scan of JSONParser+Validation.swift).
struct EnvelopeSlots<Value> {
    typealias Key = EnvelopeKey

    var jsonrpc: Value?
    var id: Value?
    var method: Value?
    var params: Value?
    var result: Value?
    var error: Value?

    init() {}

    subscript(key: Key) -> Value? {
        get {
            switch key {
            case .jsonrpc: return jsonrpc
            case .id: return id
            case .method: return method
            case .params: return params
            case .result: return result
            case .error: return error
            }
        }
        set {
            switch key {
            case .jsonrpc: jsonrpc = newValue
            case .id: id = newValue
            case .method: method = newValue
            case .params: params = newValue
            case .result: result = newValue
            case .error: error = newValue
            }
        }
    }
}

typealias EnvelopeFields = EnvelopeSlots<JSONValue>

extension EnvelopeSlots where Value == JSONValue {
    init(members: [String: JSONValue]) {
        jsonrpc = members["jsonrpc"]
        id = members["id"]
        method = members["method"]
        params = members["params"]
        result = members["result"]
        error = members["error"]
    }
}

/// A body as `JSONParser.parseBody` returns it.
enum ParsedJSONBody {
    enum Element {
        /// An object, reduced to its envelope members.
        case envelope(EnvelopeFields)
        /// Anything that is not an object (always an invalid message).
        case other(JSONValue)
    }

    case single(Element)
    case batch([Element])
}

extension JSON {
    static func parseBody(_ bytes: [UInt8], maxDepth: Int) throws(JSONParseError) -> ParsedJSONBody {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> ParsedJSONBody in
            var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
            return try parser.parseBody()
        }
    }
}
