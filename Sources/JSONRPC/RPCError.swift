// The error object of a JSON-RPC response, and the constructors for the errors this module
// produces itself, so every -32600/-32602 etc. carries the same `data` shape.

/// A JSON-RPC error: code, human message, and `data` a program can act on.
public struct RPCError: Error, Hashable, Sendable {
    public var code: ErrorCode
    public var message: String
    public var data: JSONValue?

    public init(code: ErrorCode, message: String? = nil, data: JSONValue? = nil) {
        self.code = code
        self.message = message ?? code.defaultMessage
        self.data = data
    }

    /// `{"code":…,"message":…,"data":…}` (data omitted when nil).
    public var json: JSONValue {
        var members: [String: JSONValue] = ["code": .number(JSONNumber(code.rawValue)), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }

    /// Reads an error object; nil unless `code` is an integer and `message` a string.
    public init?(json: JSONValue) {
        guard case .object(let members) = json,
              let code = members["code"]?.intValue,
              let message = members["message"]?.stringValue
        else { return nil }
        self.init(code: ErrorCode(code), message: message, data: members["data"])
    }
}

extension RPCError: CustomStringConvertible {
    public var description: String {
        var text = "\(code.rawValue) \(message)"
        if let data { text += " \(JSON.string(data))" }
        return text
    }
}

extension RPCError {
    /// -32700 with `data.reason` saying what was wrong with the bytes.
    public static func parseError(_ reason: String) -> RPCError {
        RPCError(code: .parseError, data: ["reason": .string(reason)])
    }

    /// -32600 with `data.reason`, a machine token from protocol/README.md (`not_an_object`,
    /// `invalid_jsonrpc`, `invalid_method`, `invalid_id`, `invalid_params_type`, `empty_batch`,
    /// `duplicate_id`, `frame_too_large`, `nesting_too_deep`, `unexpected_attachment`…).
    public static func invalidRequest(_ reason: String) -> RPCError {
        RPCError(code: .invalidRequest, data: ["reason": .string(reason)])
    }

    /// -32601 with `data.method`, and `data.did_you_mean` when a registered name is close.
    public static func methodNotFound(_ method: String, suggestion: String? = nil) -> RPCError {
        var data: JSONValue = ["method": .string(method)]
        if let suggestion { data = ["method": .string(method), "did_you_mean": .string(suggestion)] }
        return RPCError(code: .methodNotFound, data: data)
    }

    /// -32602 with `data: {path, reason}`. The message stays the fixed "Invalid params" (the
    /// protocol fixes every code's message); what and where is in `data`.
    public static func invalidParams(path: String, reason: String) -> RPCError {
        RPCError(code: .invalidParams, data: ["path": .string(path), "reason": .string(reason)])
    }

    /// -32602 for params that did not decode: `data.path` is where (under `params`).
    public static func invalidParams(decoding error: JSONDecodingError) -> RPCError {
        let path = error.path.isEmpty ? "params" : error.path.hasPrefix("[") ? "params\(error.path)" : "params.\(error.path)"
        return .invalidParams(path: path, reason: error.reason)
    }

    /// -32603 with `data.reason`.
    public static func internalError(_ reason: String) -> RPCError {
        RPCError(code: .internalError, data: ["reason": .string(reason)])
    }
}

extension RPCError {
    /// The same error with the protocol's fixed message for its code (protocol/README.md,
    /// Errors). Details a producer put in `message` move to `data.reason` (kept if one is
    /// there), so a client can match on `message` and a person still reads what happened.
    /// Errors with non-object `data` are left as they are, so nothing is lost.
    public var withFixedMessage: RPCError {
        let fixed = code.defaultMessage
        guard message != fixed else { return self }
        var members: [String: JSONValue]
        switch data {
        case nil: members = [:]
        case .object(let existing)?: members = existing
        default: return self
        }
        if members["reason"] == nil { members["reason"] = .string(message) }
        return RPCError(code: code, message: fixed, data: .object(members))
    }
}
