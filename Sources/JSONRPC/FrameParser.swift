// Splits a connection's byte stream into frames: a pure state machine, fed whatever chunks the
// socket delivers, with no I/O of its own, so it can be tested by splitting input at every byte.
//
// Memory is bounded by the limits whatever the peer sends: only the current frame is held, an
// oversized frame is dropped as it streams past (header framing skips exactly the declared
// length; newline framing discards up to the next newline), and a header block can never grow
// past `maxHeaderBytes`. Whole frames inside one chunk are copied straight out of it; the buffer
// only ever holds the incomplete tail of one frame, so there is nothing to compact.
//
// Newline framing: a line's length is every byte before its `\n` (a `\r` before the `\n` counts,
// then is stripped); blank lines are ignored. Header framing: header lines end with `\r\n`, names
// are case-insensitive, unknown headers are ignored, stray CR/LF between frames are skipped.

import Foundation  // memchr: the fastest way to find the next newline.

public struct FrameParser: Sendable {
    public let limits: FrameLimits
    /// nil until the first non-whitespace byte selects the framing.
    public private(set) var framing: Framing?

    private enum State: Hashable, Sendable {
        case detecting
        case lines(discarding: Bool)
        case headers
        case body(remaining: Int, attachmentType: String?)
        case skipping(remaining: Int)
        /// After `.fatal` or `finish()`: every further byte is ignored.
        case stopped
    }

    private var state: State
    /// The incomplete tail of the current line, header line or body.
    private var buffer: [UInt8] = []
    // Header block in progress.
    private var headerBytes = 0
    private var contentLength: Int?
    private var contentType: String?

    /// `framing` preselects the framing for connections where it is known (e.g. a worker's
    /// control channel); otherwise the first non-whitespace byte decides.
    public init(limits: FrameLimits = .default, framing: Framing? = nil) {
        self.limits = limits
        self.framing = framing
        switch framing {
        case nil: state = .detecting
        case .newlineDelimited: state = .lines(discarding: false)
        case .header: state = .headers
        }
    }

    /// True once a `.fatal` event was emitted (or `finish()` called): the parser is done.
    public var isStopped: Bool { state == .stopped }

    /// Bytes held for an incomplete frame (for diagnostics and memory accounting).
    public var bufferedByteCount: Int { buffer.count }

    public mutating func feed(_ bytes: [UInt8]) -> [FrameEvent] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Consumes one chunk of the stream and returns the events it completes, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [FrameEvent] {
        var events: [FrameEvent] = []
        guard let base = bytes.baseAddress else { return events }
        let count = bytes.count
        var i = 0
        while i < count {
            switch state {
            case .stopped:
                return events
            case .detecting:
                i = detect(base, i, count, &events)
            case .lines(let discarding):
                i = feedLines(base, i, count, discarding: discarding, &events)
            case .headers:
                i = feedHeaders(base, i, count, &events)
            case .body(let remaining, let attachmentType):
                i = feedBody(base, i, count, remaining: remaining, attachmentType: attachmentType, &events)
            case .skipping(let remaining):
                let take = min(remaining, count - i)
                i += take
                state = take == remaining ? .headers : .skipping(remaining: remaining - take)
            }
        }
        return events
    }

    /// End of stream. Delivers a last newline-framed message that lacks its final `\n` (as
    /// `printf '{…}' | socat` sends); an incomplete header frame is dropped. Stops the parser.
    public mutating func finish() -> [FrameEvent] {
        var events: [FrameEvent] = []
        if case .lines(discarding: false) = state, !buffer.isEmpty {
            emitLine(buffer, &events)
        }
        buffer = []
        state = .stopped
        return events
    }

    // MARK: - Detection

    private mutating func detect(_ base: UnsafeRawPointer, _ start: Int, _ count: Int, _ events: inout [FrameEvent]) -> Int {
        var i = start
        while i < count {
            let byte = base.load(fromByteOffset: i, as: UInt8.self)
            switch byte {
            case 0x20, 0x09, 0x0D, 0x0A:
                i += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                framing = .newlineDelimited
                state = .lines(discarding: false)
                return i
            case UInt8(ascii: "C"), UInt8(ascii: "c"):
                framing = .header
                state = .headers
                return i
            default:
                fail(.unknownFraming(byte), &events)
                return count
            }
        }
        return i
    }

    // MARK: - Newline-delimited

    private mutating func feedLines(
        _ base: UnsafeRawPointer, _ start: Int, _ count: Int, discarding: Bool, _ events: inout [FrameEvent]
    ) -> Int {
        let newline = Self.findNewline(base, start, count)
        if discarding {
            guard let newline else { return count }
            state = .lines(discarding: false)
            return newline + 1
        }
        let end = newline ?? count
        if buffer.count + (end - start) > limits.maxFrameBytes {
            events.append(.oversized(declared: nil, limit: limits.maxFrameBytes))
            buffer = []
            guard let newline else {
                state = .lines(discarding: true)
                return count
            }
            return newline + 1
        }
        let segment = UnsafeRawBufferPointer(start: base + start, count: end - start)
        guard let newline else {
            buffer.append(contentsOf: segment)
            return count
        }
        if buffer.isEmpty {
            emitLine(Array(segment), &events)
        } else {
            buffer.append(contentsOf: segment)
            let line = buffer
            buffer = []
            emitLine(line, &events)
        }
        return newline + 1
    }

    private func emitLine(_ line: [UInt8], _ events: inout [FrameEvent]) {
        var line = line
        if line.last == 0x0D { line.removeLast() }
        // Blank (whitespace-only) lines are keep-alives or trailing newlines, not messages.
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
        events.append(.message(line))
    }

    // MARK: - Header framing

    private mutating func feedHeaders(_ base: UnsafeRawPointer, _ start: Int, _ count: Int, _ events: inout [FrameEvent]) -> Int {
        var i = start
        if headerBytes == 0 {
            // Tolerate CR/LF between frames (a body followed by "\r\n"), before a block starts.
            while i < count, case let byte = base.load(fromByteOffset: i, as: UInt8.self), byte == 0x0D || byte == 0x0A {
                i += 1
            }
            if i == count { return i }
        }
        let newline = Self.findNewline(base, i, count)
        let end = newline.map { $0 + 1 } ?? count
        headerBytes += end - i
        if headerBytes > limits.maxHeaderBytes {
            fail(.headersTooLarge(limit: limits.maxHeaderBytes), &events)
            return count
        }
        let segment = UnsafeRawBufferPointer(start: base + i, count: end - i)
        if newline != nil, buffer.isEmpty {
            // The whole line is in this chunk (the usual case): read it where it is.
            headerLine(segment, &events)
            return end
        }
        buffer.append(contentsOf: segment)
        guard newline != nil else { return count }
        let line = buffer
        buffer = []
        line.withUnsafeBytes { headerLine($0, &events) }
        return end
    }

    /// Handles one complete header line (with its `\r\n`); the empty line ends the block.
    private mutating func headerLine(_ raw: UnsafeRawBufferPointer, _ events: inout [FrameEvent]) {
        // raw ends with "\n"; a header line must end with "\r\n".
        guard raw.count >= 2, raw[raw.count - 2] == 0x0D else {
            fail(.malformedHeader(Self.text(raw.dropLast())), &events)
            return
        }
        let line = raw[..<(raw.count - 2)]
        if line.isEmpty {
            endOfHeaders(&events)
            return
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")),
              colon > line.startIndex,
              line[..<colon].allSatisfy(Self.isTokenByte),
              line[(colon + 1)...].allSatisfy({ $0 >= 0x20 || $0 == 0x09 })
        else {
            fail(.malformedHeader(Self.text(line)), &events)
            return
        }
        // Names compare as bytes, without building Strings or copies: this runs for every frame.
        let name = line[..<colon]
        let value = Self.trimmed(line[(colon + 1)...])
        if Self.equalsIgnoringASCIICase(name, Self.contentLengthName) {
            guard contentLength == nil else {
                fail(.duplicateContentLength, &events)
                return
            }
            guard let length = Self.decimal(value) else {
                fail(.invalidContentLength(Self.text(value)), &events)
                return
            }
            contentLength = length
        } else if Self.equalsIgnoringASCIICase(name, Self.contentTypeName) {
            contentType = Self.text(value)
        }
        // Unknown headers are allowed and ignored, as in LSP.
    }

    private mutating func endOfHeaders(_ events: inout [FrameEvent]) {
        guard let length = contentLength else {
            fail(.missingContentLength, &events)
            return
        }
        let attachmentType = contentType.flatMap { Self.isAttachment($0) ? $0 : nil }
        headerBytes = 0
        contentLength = nil
        contentType = nil
        if length > limits.maxFrameBytes {
            events.append(.oversized(declared: length, limit: limits.maxFrameBytes))
            state = .skipping(remaining: length)
        } else if length == 0 {
            emitFrame([], attachmentType: attachmentType, &events)
            state = .headers
        } else {
            state = .body(remaining: length, attachmentType: attachmentType)
        }
    }

    private mutating func feedBody(
        _ base: UnsafeRawPointer, _ start: Int, _ count: Int, remaining: Int, attachmentType: String?,
        _ events: inout [FrameEvent]
    ) -> Int {
        let take = min(remaining, count - start)
        let chunk = UnsafeRawBufferPointer(start: base + start, count: take)
        if take < remaining {
            if buffer.isEmpty {
                // Reserve for the declared size, but not all of it up front for a peer that has
                // only sent a few bytes of a large frame.
                buffer.reserveCapacity(min(remaining, 1 << 20))
            }
            buffer.append(contentsOf: chunk)
            state = .body(remaining: remaining - take, attachmentType: attachmentType)
            return count
        }
        let body: [UInt8]
        if buffer.isEmpty {
            body = Array(chunk)
        } else {
            buffer.append(contentsOf: chunk)
            body = buffer
            buffer = []
        }
        emitFrame(body, attachmentType: attachmentType, &events)
        state = .headers
        return start + take
    }

    private func emitFrame(_ body: [UInt8], attachmentType: String?, _ events: inout [FrameEvent]) {
        if let attachmentType {
            events.append(.attachment(contentType: attachmentType, bytes: body))
        } else {
            events.append(.message(body))
        }
    }

    private mutating func fail(_ error: FramingError, _ events: inout [FrameEvent]) {
        events.append(.fatal(error))
        state = .stopped
        buffer = []
    }

    // MARK: - Helpers

    private static func findNewline(_ base: UnsafeRawPointer, _ start: Int, _ count: Int) -> Int? {
        guard start < count, let found = memchr(base + start, 0x0A, count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }

    /// `application/octet-stream`, with or without parameters, in any letter case.
    static let contentLengthName = Array("content-length".utf8)
    static let contentTypeName = Array("content-type".utf8)

    /// `bytes` equals the lowercase ASCII `name`, ignoring the case of ASCII letters.
    static func equalsIgnoringASCIICase(_ bytes: Slice<UnsafeRawBufferPointer>, _ name: [UInt8]) -> Bool {
        guard bytes.count == name.count else { return false }
        var index = bytes.startIndex
        for expected in name {
            let byte = bytes[index]
            let lowered = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            if lowered != expected { return false }
            index += 1
        }
        return true
    }

    static func isAttachment(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == FrameEncoder.attachmentContentType
    }

    /// RFC 9110 token characters (header names).
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func trimmed(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        var slice = bytes
        while let first = slice.first, first == 0x20 || first == 0x09 { slice = slice.dropFirst() }
        while let last = slice.last, last == 0x20 || last == 0x09 { slice = slice.dropLast() }
        return slice
    }

    /// A non-negative decimal without sign; nil when empty, not all digits, or overflowing Int.
    private static func decimal(_ digits: Slice<UnsafeRawBufferPointer>) -> Int? {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for byte in digits {
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.addingReportingOverflow(Int(digit))
            if o1 || o2 { return nil }
            value = next
        }
        return value
    }

    private static func text(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}
