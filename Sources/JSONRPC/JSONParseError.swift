// Why a byte sequence is not JSON, and where. The offset lets a client find the bad byte in what
// it sent; the reason is phrased for the `data.reason` of a -32700 reply.

/// A syntax error (or limit violation) found by `JSON.parse`.
public struct JSONParseError: Error, Hashable, Sendable {
    public enum Reason: Hashable, Sendable {
        case emptyInput
        case unexpectedEnd
        /// A byte that cannot start or continue the current construct.
        case unexpectedByte(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUnicodeEscape
        /// An unescaped byte below 0x20 inside a string.
        case controlCharacterInString(UInt8)
        case invalidUTF8
        /// Arrays and objects nested deeper than the limit.
        case tooDeep(limit: Int)
        /// Something other than whitespace after the value.
        case trailingData
        /// The same member name twice in one object.
        case duplicateKey(String)
        /// A `\uD800`-`\uDFFF` escape that is not half of a surrogate pair.
        case loneSurrogate
    }

    public var reason: Reason
    /// Byte offset into the input where the problem was found.
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// True for a nesting-depth violation (well-formed so far, but too deep to accept).
    public var isDepthLimit: Bool {
        if case .tooDeep = reason { return true }
        return false
    }
}

extension JSONParseError: CustomStringConvertible {
    public var description: String {
        let what: String
        switch reason {
        case .emptyInput: what = "empty input"
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let byte): what = "unexpected \(Self.describe(byte))"
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUnicodeEscape: what = "invalid \\u escape"
        case .controlCharacterInString(let byte): what = "unescaped control character \(Self.describe(byte)) in string"
        case .invalidUTF8: what = "invalid UTF-8"
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .trailingData: what = "unexpected data after the JSON value"
        case .duplicateKey(let key): what = "duplicate member name \(JSON.string(.string(key)))"
        case .loneSurrogate: what = "unpaired UTF-16 surrogate escape"
        }
        return "\(what) at offset \(offset)"
    }

    static func describe(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        let code = "0x" + (hex.count == 1 ? "0" + hex : hex)
        if byte >= 0x21 && byte < 0x7F {
            return "'\(Character(Unicode.Scalar(byte)))' (\(code))"
        }
        return "byte \(code)"
    }
}
