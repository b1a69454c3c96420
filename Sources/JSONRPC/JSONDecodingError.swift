// A decoding failure reduced to what a client can act on: where (a path like `views[2].camera`)
// and why (`expected a number, got "x"`). DecodingError carries the same facts, but its
// description is an enum dump, and the dispatcher needs them as separate fields for the
// `data` of a -32602 reply.

/// Why a `JSONValue` did not decode into a type, with the path to the offending value.
public struct JSONDecodingError: Error, Hashable, Sendable {
    /// Dotted path from the decoded root: `timeout_s`, `views[2].camera`; empty for the root.
    public var path: String
    /// What was wrong there: `expected a number, got "x"`, `missing required key`.
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    /// Maps any DecodingError (ours or one thrown by a type's own `init(from:)`).
    public init(_ error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self.init(path: Self.path(context.codingPath + [key]), reason: "missing required key")
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            self.init(path: Self.path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            self.init(path: "", reason: String(describing: error))
        }
    }

    /// `a.b[2].c` from coding keys; array positions print as `[n]`.
    public static func path(_ codingPath: [any CodingKey]) -> String {
        var result = ""
        for key in codingPath {
            if let index = Self.arrayIndex(key) {
                result += "[\(index)]"
            } else {
                if !result.isEmpty { result += "." }
                result += key.stringValue
            }
        }
        return result
    }

    private static func arrayIndex(_ key: any CodingKey) -> Int? {
        if key is IndexKey { return key.intValue }
        // Foundation's decoders name array positions "Index N".
        if let index = key.intValue, key.stringValue == "Index \(index)" { return index }
        return nil
    }
}

extension JSONDecodingError: CustomStringConvertible {
    /// `path: reason`, or just the reason at the root.
    public var description: String {
        path.isEmpty ? reason : "\(path): \(reason)"
    }
}
