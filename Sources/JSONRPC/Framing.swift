// The vocabulary of framing: which framing a connection speaks, the limits it is held to, and
// what the parser reports. See ARCHITECTURE.md "Transport and framing".

/// How messages are delimited on a connection; chosen by its first non-whitespace byte.
public enum Framing: Hashable, Sendable {
    /// One JSON message per line (`{` or `[` first): what socat and MCP-stdio clients speak.
    case newlineDelimited
    /// LSP base protocol (`C` first): `Content-Length: N\r\n…\r\n\r\n` then N bytes. Can carry
    /// binary attachments (`Content-Type: application/octet-stream`).
    case header
}

/// Size limits a connection is held to.
public struct FrameLimits: Hashable, Sendable {
    /// Largest message or attachment body accepted; larger frames are reported and skipped.
    public var maxFrameBytes: Int
    /// Largest header block (header framing), terminator included; larger is fatal.
    public var maxHeaderBytes: Int
    /// JSON nesting limit for message bodies (applied by whoever parses them, e.g. `Dispatcher`).
    public var maxDepth: Int

    public init(maxFrameBytes: Int = 64 << 20, maxHeaderBytes: Int = 8 << 10, maxDepth: Int = JSON.defaultMaxDepth) {
        self.maxFrameBytes = maxFrameBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxDepth = maxDepth
    }

    public static let `default` = FrameLimits()
}

/// Something the frame parser found in the byte stream.
public enum FrameEvent: Hashable, Sendable {
    /// A complete message body (JSON text, not yet parsed).
    case message([UInt8])
    /// A binary attachment frame (header framing, `Content-Type: application/octet-stream…`);
    /// `contentType` is the header value as sent.
    case attachment(contentType: String, bytes: [UInt8])
    /// A frame larger than `limit` was dropped without being buffered. `declared` is the
    /// Content-Length in header framing, nil for an over-long line. The connection stays usable.
    case oversized(declared: Int?, limit: Int)
    /// The stream cannot be read any further (the caller answers and closes); nothing follows.
    case fatal(FramingError)
}

/// Why a byte stream cannot be resynchronised.
public enum FramingError: Error, Hashable, Sendable {
    /// The first non-whitespace byte selects no framing.
    case unknownFraming(UInt8)
    /// The header block grew past `maxHeaderBytes` without ending.
    case headersTooLarge(limit: Int)
    /// A header line that is not `Name: value`.
    case malformedHeader(String)
    case missingContentLength
    /// A Content-Length that is not a non-negative decimal integer.
    case invalidContentLength(String)
    /// Two Content-Length headers in one frame: which one is meant cannot be known.
    case duplicateContentLength
}

extension FramingError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .unknownFraming(let byte):
            return "unknown framing: a connection must start with '{' or '[' (one JSON message per line) "
                + "or 'Content-Length:' (header framing), got \(JSONParseError.describe(byte))"
        case .headersTooLarge(let limit):
            return "header block larger than \(limit) bytes"
        case .malformedHeader(let line):
            return "malformed header line \(Self.quote(line))"
        case .missingContentLength:
            return "header block without Content-Length"
        case .invalidContentLength(let value):
            return "invalid Content-Length \(Self.quote(value))"
        case .duplicateContentLength:
            return "Content-Length given twice in one header block"
        }
    }

    private static func quote(_ text: String) -> String {
        JSON.string(.string(text.count > 80 ? String(text.prefix(80)) + "…" : text))
    }
}
