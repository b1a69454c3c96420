// JSON-RPC error codes as an open set: a struct over Int with named members (like swift-system's
// Errno) rather than an enum, so codes from peers we don't know still round-trip, and new
// blenderd codes don't break exhaustive switches elsewhere.

/// A JSON-RPC error code.
public struct ErrorCode: RawRepresentable, Hashable, Sendable {
    public var rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    // JSON-RPC 2.0.
    /// Invalid JSON was received.
    public static let parseError = ErrorCode(-32700)
    /// The JSON sent is not a valid Request object.
    public static let invalidRequest = ErrorCode(-32600)
    public static let methodNotFound = ErrorCode(-32601)
    public static let invalidParams = ErrorCode(-32602)
    public static let internalError = ErrorCode(-32603)

    // blenderd (server-error range -32099...-32000; see protocol/README.md).
    public static let unknownSession = ErrorCode(-32001)
    /// No instance fits the session's requirements (data may carry `retry_after`).
    public static let noInstance = ErrorCode(-32002)
    public static let sandboxViolation = ErrorCode(-32003)
    public static let timeout = ErrorCode(-32004)
    /// The instance died; data says which checkpoint was restored.
    public static let instanceCrashed = ErrorCode(-32005)
    public static let cancelled = ErrorCode(-32006)
    /// The script raised; data has type, message, traceback, line, stdout, stderr, hints.
    public static let scriptError = ErrorCode(-32010)
    public static let renderError = ErrorCode(-32011)
    public static let unauthorized = ErrorCode(-32020)
    /// Too much queued; data carries `retry_after`.
    public static let overloaded = ErrorCode(-32029)

    /// Every named code, for documentation and tests.
    public static let allNamed: [ErrorCode] = [
        .parseError, .invalidRequest, .methodNotFound, .invalidParams, .internalError,
        .unknownSession, .noInstance, .sandboxViolation, .timeout, .instanceCrashed, .cancelled,
        .scriptError, .renderError, .unauthorized, .overloaded,
    ]

    /// A stable snake_case name for logs and CLIs (`method_not_found`, `unknown_session`);
    /// unnamed codes are `server_error` (-32099...-32000), `reserved` (-32768...-32000) or
    /// `application_error`.
    public var name: String {
        switch rawValue {
        case -32700: return "parse_error"
        case -32600: return "invalid_request"
        case -32601: return "method_not_found"
        case -32602: return "invalid_params"
        case -32603: return "internal_error"
        case -32001: return "unknown_session"
        case -32002: return "no_instance"
        case -32003: return "sandbox_violation"
        case -32004: return "timeout"
        case -32005: return "instance_crashed"
        case -32006: return "cancelled"
        case -32010: return "script_error"
        case -32011: return "render_error"
        case -32020: return "unauthorized"
        case -32029: return "overloaded"
        case -32099...(-32000): return "server_error"
        case -32768...(-32000): return "reserved"
        default: return "application_error"
        }
    }

    /// The message used when a caller gives none (the JSON-RPC spec's wording for its codes).
    public var defaultMessage: String {
        switch rawValue {
        case -32700: return "Parse error"
        case -32600: return "Invalid Request"
        case -32601: return "Method not found"
        case -32602: return "Invalid params"
        case -32603: return "Internal error"
        case -32001: return "Unknown session"
        case -32002: return "No instance fits"
        case -32003: return "Sandbox violation"
        case -32004: return "Timeout"
        case -32005: return "Instance crashed"
        case -32006: return "Cancelled"
        case -32010: return "Script error"
        case -32011: return "Render error"
        case -32020: return "Unauthorized"
        case -32029: return "Overloaded"
        case -32099...(-32000): return "Server error"
        default: return "Error"
        }
    }

    /// Lets `switch error.code { case .timeout: ... }` read naturally.
    public static func ~= (pattern: ErrorCode, value: ErrorCode) -> Bool {
        pattern == value
    }
}

extension ErrorCode: CustomStringConvertible {
    /// `-32601 method_not_found`
    public var description: String { "\(rawValue) \(name)" }
}

extension ErrorCode: Codable {
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(rawValue)
    }
}
