// The sending side of framing. Bodies produced by JSONSerializer never contain a raw newline, so
// newline-delimited framing needs no escaping.

public enum FrameEncoder {
    /// The media type that marks a header frame as a binary attachment.
    public static let attachmentContentType = "application/octet-stream"

    /// One message framed for `framing`: `body\n`, or `Content-Length: N\r\n\r\n` + body.
    public static func message(_ body: [UInt8], framing: Framing) -> [UInt8] {
        switch framing {
        case .newlineDelimited:
            var out = body
            out.append(UInt8(ascii: "\n"))
            return out
        case .header:
            var out = Array("Content-Length: \(body.count)\r\n\r\n".utf8)
            out.reserveCapacity(out.count + body.count)
            out.append(contentsOf: body)
            return out
        }
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
