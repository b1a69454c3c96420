import Testing
import JSONRPC

/// Every input is fed whole, split at every byte boundary (two chunks, and three chunks for short
/// inputs), byte by byte and in random chunks; all must give the same events.
@Suite struct FrameParserTests {
    static func events(_ input: [UInt8], limits: FrameLimits, chunkEnds: [Int]) -> [FrameEvent] {
        var parser = FrameParser(limits: limits)
        var events: [FrameEvent] = []
        var start = 0
        for end in chunkEnds + [input.count] {
            events += parser.feed(Array(input[start..<end]))
            start = end
        }
        return events + parser.finish()
    }

    static func expectSplitInvariant(
        _ input: [UInt8], limits: FrameLimits = .default, _ expected: [FrameEvent],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let whole = events(input, limits: limits, chunkEnds: [])
        #expect(whole == expected, sourceLocation: sourceLocation)
        for split in 0...input.count {
            let got = events(input, limits: limits, chunkEnds: [split])
            if got != whole {
                Issue.record("split at \(split) gave \(got)", sourceLocation: sourceLocation)
                return
            }
        }
        if input.count <= 120 {
            for first in 0...input.count {
                for second in first...input.count where events(input, limits: limits, chunkEnds: [first, second]) != whole {
                    Issue.record("split at \(first), \(second) differs", sourceLocation: sourceLocation)
                    return
                }
            }
        }
        #expect(events(input, limits: limits, chunkEnds: Array(0...input.count)) == whole, "byte by byte", sourceLocation: sourceLocation)
        var rng = SplitMix64(seed: UInt64(input.count))
        for _ in 0..<50 {
            var ends: [Int] = []
            var position = 0
            while position < input.count {
                position = min(input.count, position + Int.random(in: 1...17, using: &rng))
                ends.append(position)
            }
            #expect(events(input, limits: limits, chunkEnds: ends) == whole, "random chunks \(ends)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Newline-delimited

    @Test func newlineDelimitedMessages() {
        let input = bytes(" \r\n\t{\"a\":1}\n\r\n[1,2]\r\n\n   \n{\"b\":\"x\\ny\"}\n{\"tail\":true}")
        Self.expectSplitInvariant(input, [
            .message(bytes(#"{"a":1}"#)),
            .message(bytes("[1,2]")),
            .message(bytes(#"{"b":"x\ny"}"#)),
            .message(bytes(#"{"tail":true}"#)),  // delivered by finish()
        ])
        var parser = FrameParser()
        #expect(parser.framing == nil)
        _ = parser.feed(bytes("  "))
        #expect(parser.framing == nil)
        _ = parser.feed(bytes("["))
        #expect(parser.framing == .newlineDelimited)
    }

    @Test func oversizedLinesAreSkippedToTheNextNewline() {
        let limits = FrameLimits(maxFrameBytes: 8)
        let input = bytes("{\"a\":1}\n{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}\n{\"b\":22}\n[123456789]\r\n{}\n[12345678\n")
        Self.expectSplitInvariant(input, limits: limits, [
            .message(bytes(#"{"a":1}"#)),
            .oversized(declared: nil, limit: 8),
            .message(bytes(#"{"b":22}"#)),  // exactly 8 bytes: accepted
            .oversized(declared: nil, limit: 8),
            .message(bytes("{}")),
            .oversized(declared: nil, limit: 8),
        ])
        // An over-long tail without a newline is reported once and never delivered.
        Self.expectSplitInvariant(bytes("{}\n[1,2,3,4,5,6,7,8,9]"), limits: limits, [
            .message(bytes("{}")), .oversized(declared: nil, limit: 8),
        ])
    }

    @Test func oversizedLinesAreNotBuffered() {
        var parser = FrameParser(limits: FrameLimits(maxFrameBytes: 1024))
        var events = parser.feed(bytes("["))
        let chunk = [UInt8](repeating: UInt8(ascii: "1"), count: 4096)
        for _ in 0..<256 {  // 1 MiB of one line
            events += parser.feed(chunk)
            #expect(parser.bufferedByteCount <= 1024)
        }
        events += parser.feed(bytes("]\n{}\n"))
        #expect(events == [.oversized(declared: nil, limit: 1024), .message(bytes("{}"))])
    }

    // MARK: Header framing

    static let headerInput: [UInt8] = bytes("Content-Length: 7\r\n\r\n{\"a\":1}")
        + bytes("content-length: 3\r\nContent-Type: application/octet-stream\r\n\r\n") + [0x00, 0xFF, 0x0A]
        + bytes("Content-Length: 2\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n[]")
        + bytes("\r\n")  // tolerated between frames
        + bytes("CONTENT-LENGTH:0\r\n\r\n")
        + bytes("Content-Length: 4\r\nX-Extra: ignored\r\nContent-Type:  Application/Octet-Stream; name=a.png \r\n\r\n\r\n\r\n")
        + bytes("Content-Length:   5  \r\ncontent-type: application/octet-stream\r\n\r\nhello")

    @Test func headerFramesAndAttachments() {
        Self.expectSplitInvariant(Self.headerInput, [
            .message(bytes(#"{"a":1}"#)),
            .attachment(contentType: "application/octet-stream", bytes: [0x00, 0xFF, 0x0A]),
            .message(bytes("[]")),
            .message([]),
            .attachment(contentType: "Application/Octet-Stream; name=a.png", bytes: bytes("\r\n\r\n")),
            .attachment(contentType: "application/octet-stream", bytes: bytes("hello")),
        ])
        var parser = FrameParser()
        _ = parser.feed(bytes("C"))
        #expect(parser.framing == .header)
    }

    @Test func oversizedHeaderFramesAreSkipped() {
        let limits = FrameLimits(maxFrameBytes: 8)
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 20)
        let input = bytes("Content-Length: 20\r\n\r\n") + big
            + bytes("Content-Length: 2\r\n\r\n{}")
            + bytes("Content-Length: 9\r\nContent-Type: application/octet-stream\r\n\r\n123456789")
            + bytes("Content-Length: 8\r\nContent-Type: application/octet-stream\r\n\r\n12345678")
        Self.expectSplitInvariant(input, limits: limits, [
            .oversized(declared: 20, limit: 8),
            .message(bytes("{}")),
            .oversized(declared: 9, limit: 8),
            .attachment(contentType: "application/octet-stream", bytes: bytes("12345678")),
        ])
    }

    @Test func oversizedBodiesAreNotBuffered() {
        var parser = FrameParser(limits: FrameLimits(maxFrameBytes: 1024))
        var events = parser.feed(bytes("Content-Length: 1048576\r\n\r\n"))
        let chunk = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<256 {
            events += parser.feed(chunk)
            #expect(parser.bufferedByteCount == 0)
        }
        events += parser.feed(bytes("Content-Length: 2\r\n\r\n{}"))
        #expect(events == [.oversized(declared: 1_048_576, limit: 1024), .message(bytes("{}"))])
    }

    @Test(arguments: [
        ("Content-Length: -1\r\n\r\n{}", FramingError.invalidContentLength("-1")),
        ("Content-Length: +5\r\n\r\n{}", .invalidContentLength("+5")),
        ("Content-Length: 1x\r\n\r\n{}", .invalidContentLength("1x")),
        ("Content-Length: \r\n\r\n{}", .invalidContentLength("")),
        ("Content-Length: 99999999999999999999999\r\n\r\n", .invalidContentLength("99999999999999999999999")),
        ("Content-Type: application/json\r\n\r\n{}", .missingContentLength),
        ("Content-Length 5\r\n\r\n{}", .malformedHeader("Content-Length 5")),
        ("Content-Length: 2\n\n{}", .malformedHeader("Content-Length: 2")),
        ("Content-Length: 2\r\n: x\r\n\r\n{}", .malformedHeader(": x")),
        ("Content-Length: 2\r\nBad Name: x\r\n\r\n{}", .malformedHeader("Bad Name: x")),
        ("Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}", .duplicateContentLength),
        ("Content-Length: 2\r\nX-Long: " + String(repeating: "y", count: 80) + "\r\n\r\n{}", .headersTooLarge(limit: 64)),
        ("Content-Length: 2\r\n" + String(repeating: "y", count: 80), .headersTooLarge(limit: 64)),
        ("  hello\n", .unknownFraming(UInt8(ascii: "h"))),
        ("\u{FEFF}{}\n", .unknownFraming(0xEF)),
    ])
    func fatalErrors(_ text: String, _ error: FramingError) {
        // Whatever follows a fatal error is never reported.
        let input = bytes(text) + bytes("Content-Length: 2\r\n\r\n{}\n{}\n")
        Self.expectSplitInvariant(input, limits: FrameLimits(maxHeaderBytes: 64), [.fatal(error)])
    }

    @Test func fatalAfterGoodFrames() {
        var parser = FrameParser()
        let events = parser.feed(bytes("Content-Length: 2\r\n\r\n{}Content-Length: x\r\n\r\n"))
        #expect(events == [.message(bytes("{}")), .fatal(.invalidContentLength("x"))])
        #expect(parser.isStopped)
        #expect(parser.feed(bytes("Content-Length: 2\r\n\r\n{}")).isEmpty)
        #expect(parser.finish().isEmpty)
    }

    @Test func presetFraming() {
        var parser = FrameParser(framing: .header)
        #expect(parser.feed(bytes("content-length: 2\r\n\r\n{}")) == [.message(bytes("{}"))])
        var lines = FrameParser(framing: .newlineDelimited)
        // With the framing preset, a line need not start with { or [ (the JSON parser judges it).
        #expect(lines.feed(bytes("x\n")) == [.message(bytes("x"))])
    }

    @Test func errorDescriptions() {
        #expect(FramingError.invalidContentLength("-1").description == #"invalid Content-Length "-1""#)
        #expect(FramingError.unknownFraming(UInt8(ascii: "h")).description.hasSuffix("got 'h' (0x68)"))
        #expect(FramingError.headersTooLarge(limit: 8192).description == "header block larger than 8192 bytes")
    }

    // MARK: Encoder

    @Test func encoderOutputParsesBack() {
        let body = bytes(#"{"id":1,"jsonrpc":"2.0","result":"a\nb"}"#)
        let blob: [UInt8] = [0, 1, 2, 0x0D, 0x0A, 0x0D, 0x0A, 255]
        #expect(FrameEncoder.message(body, framing: .newlineDelimited) == body + [0x0A])
        #expect(FrameEncoder.message(body, framing: .header) == bytes("Content-Length: \(body.count)\r\n\r\n") + body)
        #expect(FrameEncoder.attachment(blob) == bytes("Content-Length: 8\r\nContent-Type: application/octet-stream\r\n\r\n") + blob)

        let stream = FrameEncoder.message(body, framing: .header)
            + FrameEncoder.attachment(blob, contentType: "application/octet-stream; name=v.png\r\nX: y")
            + FrameEncoder.message(body, framing: .header)
        Self.expectSplitInvariant(stream, [
            .message(body),
            .attachment(contentType: "application/octet-stream; name=v.pngX: y", bytes: blob),
            .message(body),
        ])
        let lines = FrameEncoder.message(body, framing: .newlineDelimited) + FrameEncoder.message(bytes("[]"), framing: .newlineDelimited)
        Self.expectSplitInvariant(lines, [.message(body), .message(bytes("[]"))])
    }
}
