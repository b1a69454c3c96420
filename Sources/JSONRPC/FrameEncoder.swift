// The sending side of framing. Bodies produced by JSONSerializer never contain a raw newline, so
// newline-delimited framing needs no escaping.

public enum FrameEncoder {
    /// The media type that marks a header frame as a binary attachment.
    public static let attachmentContentType = "application/octet-stream"

    /// One message framed for `framing`: `body\n`, or `Content-Length: N\r\n\r\n` + body.
    public static func message(_ body: consuming [UInt8], framing: Framing) -> [UInt8] {
        switch framing {
        case .newlineDelimited:
            // A body handed over (a reply just encoded) gets its newline in place, not copied.
            var out = consume body
            out.append(UInt8(ascii: "\n"))
            return out
        case .header:
            // Built byte by byte: String interpolation showed up in the ping benchmark's profile.
            var out: [UInt8] = []
            out.reserveCapacity(contentLengthPrefix.count + 24 + body.count)
            appendHeader(contentLength: body.count, to: &out)
            out.append(contentsOf: body)
            return out
        }
    }

    /// `Content-Length: N\r\n\r\n` alone, for a writer that sends the body as a second part.
    public static func header(contentLength: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(contentLengthPrefix.count + 24)
        appendHeader(contentLength: contentLength, to: &out)
        return out
    }

    private static func appendHeader(contentLength: Int, to out: inout [UInt8]) {
        out.append(contentsOf: contentLengthPrefix)
        appendDecimal(contentLength, to: &out)
        out.append(contentsOf: [0x0D, 0x0A, 0x0D, 0x0A])
    }

    private static let contentLengthPrefix = Array("Content-Length: ".utf8)

    /// Appends the decimal digits of a non-negative `value`.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        JSONSerializer.writeInt(max(0, value), into: &out)
    }

    /// The header section of a message frame with a `count`-byte body (header framing), for
    /// writing a large body after it without copying the two together.
    public static func messageHeader(count: Int) -> [UInt8] {
        var out = contentLengthPrefix
        appendDecimal(count, to: &out)
        out.append(contentsOf: [0x0D, 0x0A, 0x0D, 0x0A])
        return out
    }

    /// The header section of an attachment frame with a `count`-byte body: `attachment` without
    /// the body, so a large one (a rendered image) is written after it, not copied in.
    public static func attachmentHeader(count: Int, contentType: String = attachmentContentType) -> [UInt8] {
        let safeType = String(contentType.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
        return Array("Content-Length: \(count)\r\nContent-Type: \(safeType)\r\n\r\n".utf8)
    }

    /// A binary attachment frame (header framing only). `contentType` must be
    /// `application/octet-stream`, optionally with parameters (`; name=view0.png`); a receiver
    /// treats any other type as a JSON message. CR and LF are removed so a value cannot inject
    /// header lines.
    public static func attachment(_ bytes: [UInt8], contentType: String = attachmentContentType) -> [UInt8] {
        let safeType = String(contentType.unicodeScalars.filter { $0 != "\r" && $0 != "\n" })
        var out = Array("Content-Length: \(bytes.count)\r\nContent-Type: \(safeType)\r\n\r\n".utf8)
        out.reserveCapacity(out.count + bytes.count)
        out.append(contentsOf: bytes)
        return out
    }
}
