// A strict RFC 8259 parser over bytes.
//
// It sits on the daemon's hot path (every request body passes through it), so it walks raw bytes
// with an index, builds strings straight from validated UTF-8 slices, and only falls back to a
// scratch buffer for strings that contain escapes. It recurses per nesting level; the depth limit
// (clamped to `JSON.maxSupportedDepth`) keeps hostile input like 100 000 `[` from exhausting the
// stack.
//
// Documented choices where RFC 8259 leaves room:
// - A lone UTF-16 surrogate escape (`"\ud800"`, or a high surrogate not followed by a low one)
//   is rejected: it names no character, and replacing it (U+FFFD) would make a request id come
//   back different from the one sent, so the client could not match the reply.
// - Raw bytes must be valid UTF-8 (no overlongs, no encoded surrogates, nothing above U+10FFFF);
//   a byte order mark is not skipped, so it is rejected like any other stray byte.
// - Duplicate object keys are rejected. RFC 8259 lets a parser pick either; a request whose
//   `method` or `params` could be read two ways must not be run one of them (protocol/README.md).


struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    private let maxDepth: Int
    /// Reused across strings that need unescaping, so each one doesn't allocate its own buffer.
    private var scratch: [UInt8] = []
    /// Members of the objects being parsed, innermost last (see `parseObject`).
    /// Each member keeps its key's offset so a duplicate is reported where it stands.
    private var memberStack: [(key: String, value: JSONValue, offset: Int)] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = max(0, min(maxDepth, JSON.maxSupportedDepth))
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else {
            throw JSONParseError(bytes.isEmpty ? .emptyInput : .unexpectedEnd, at: index)
        }
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw JSONParseError(.trailingData, at: index) }
        return value
    }

    // MARK: - Values

    private mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw unexpectedHere()
        }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        index += 1  // '{'
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object([:])
        }
        // Members collect on a stack shared by all nesting levels and go into a dictionary of the
        // exact size at the end: growing a dictionary one insert at a time rehashes every key
        // several times, which was the parser's largest cost.
        let base = memberStack.count
        defer { memberStack.removeSubrange(base...) }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpectedHere() }
            let offset = index
            let key = try parseString()
            try expectColon()
            let value = try parseValue()
            memberStack.append((key, value, offset))
            if try endOfMember(closing: UInt8(ascii: "}")) { break }
        }
        var members = [String: JSONValue](minimumCapacity: memberStack.count - base)
        for member in memberStack[base...] where members.updateValue(member.value, forKey: member.key) != nil {
            throw JSONParseError(.duplicateKey(member.key), at: member.offset)
        }
        depth -= 1
        return .object(members)
    }

    private mutating func expectColon() throws(JSONParseError) {
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else { throw unexpectedHere() }
        index += 1
        skipWhitespace()
    }

    /// After a member or element: consumes `,` (false: more follow) or the closing bracket (true).
    private mutating func endOfMember(closing: UInt8) throws(JSONParseError) -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","):
            index += 1
            return false
        case closing:
            index += 1
            return true
        default:
            throw unexpectedHere()
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        index += 1  // '['
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            elements.append(try parseValue())
            if try endOfMember(closing: UInt8(ascii: "]")) { break }
        }
        depth -= 1
        return .array(elements)
    }

    private mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth { throw JSONParseError(.tooDeep(limit: maxDepth), at: index) }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for k in 0..<count {
            guard index + k < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index + k) }
            guard bytes[index + k] == expected[k] else {
                throw JSONParseError(.unexpectedByte(bytes[index + k]), at: index + k)
            }
        }
        index += count
    }

    // MARK: - JSON-RPC bodies

    /// Parses a JSON-RPC body. The members of a top-level object (or of the objects in a
    /// top-level array) that a message envelope uses are captured into `EnvelopeFields` instead
    /// of a dictionary, and other members are validated and dropped: on the request path that
    /// saves a dictionary and its hashing per message. The outcome, errors included, is the same as
    /// `parseDocument()` followed by `EnvelopeFields(members:)`.
    mutating func parseBody() throws(JSONParseError) -> ParsedJSONBody {
        skipWhitespace()
        guard index < bytes.count else {
            throw JSONParseError(bytes.isEmpty ? .emptyInput : .unexpectedEnd, at: index)
        }
        let body: ParsedJSONBody
        switch bytes[index] {
        case UInt8(ascii: "{"):
            body = .single(.envelope(try parseEnvelope()))
        case UInt8(ascii: "["):
            try enterContainer()
            index += 1
            var elements: [ParsedJSONBody.Element] = []
            skipWhitespace()
            if peek() == UInt8(ascii: "]") {
                index += 1
            } else {
                while true {
                    skipWhitespace()
                    if peek() == UInt8(ascii: "{") {
                        elements.append(.envelope(try parseEnvelope()))
                    } else {
                        elements.append(.other(try parseValue()))
                    }
                    if try endOfMember(closing: UInt8(ascii: "]")) { break }
                }
            }
            depth -= 1
            body = .batch(elements)
        default:
            body = .single(.other(try parseValue()))
        }
        skipWhitespace()
        guard index == bytes.count else { throw JSONParseError(.trailingData, at: index) }
        return body
    }

    private mutating func parseEnvelope() throws(JSONParseError) -> EnvelopeFields {
        try enterContainer()
        index += 1  // '{'
        var fields = EnvelopeFields()
        var otherKeys: [String] = []
        var duplicate: JSONParseError?
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return fields
        }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpectedHere() }
            let keyOffset = index
            let key = try parseEnvelopeKey()
            try expectColon()
            let value = try parseValue()
            // A duplicate is reported once the object has closed, as `parseObject` does, so both
            // paths give the same error when the object also has a later syntax error.
            switch key {
            case .envelope(let name):
                if fields[name] != nil {
                    duplicate = duplicate ?? JSONParseError(.duplicateKey(name.rawValue), at: keyOffset)
                }
                fields[name] = value
            case .other(let name):
                // Other members are ignored, but a repeated one is still malformed input, as it
                // is for `JSON.parse`; envelopes rarely carry any, so a linear scan is enough.
                if otherKeys.contains(name) {
                    duplicate = duplicate ?? JSONParseError(.duplicateKey(name), at: keyOffset)
                }
                otherKeys.append(name)
            }
            if try endOfMember(closing: UInt8(ascii: "}")) { break }
        }
        if let duplicate { throw duplicate }
        depth -= 1
        return fields
    }

    /// The envelope member a key names, nil for any other key. Plain ASCII keys are compared as
    /// bytes; keys with escapes or non-ASCII go through `parseString` and String equality, exactly
    /// as a dictionary lookup would treat them.
    private enum EnvelopeKey {
        case envelope(EnvelopeFields.Key)
        case other(String)
    }

    private mutating func parseEnvelopeKey() throws(JSONParseError) -> EnvelopeKey {
        let start = index + 1
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                let ascii = UnsafeBufferPointer(rebasing: bytes[start..<end])
                index = end + 1
                if let key = EnvelopeFields.Key(ascii: ascii) { return .envelope(key) }
                return .other(String(decoding: ascii, as: UTF8.self))
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { break }
            end += 1
        }
        let text = try parseString()
        if let key = EnvelopeFields.Key(rawValue: text) { return .envelope(key) }
        return .other(text)
    }

    // MARK: - Numbers

    private mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = index
        let rest = UnsafeBufferPointer(rebasing: bytes[start...])
        guard let length = JSONNumber.scanLiteral(rest) else {
            throw JSONParseError(.invalidNumber, at: start)
        }
        index = start + length
        // A digit right after a complete number can only be a leading-zero violation (`01`, `-01`);
        // name it as such rather than as the container's "unexpected byte".
        if index < bytes.count, JSONNumber.isDigit(bytes[index]) {
            throw JSONParseError(.invalidNumber, at: start)
        }
        let literal = UnsafeBufferPointer(rebasing: rest[..<length])
        return JSONNumber(storage: JSONNumber.storage(forValidLiteral: literal))
    }

    // MARK: - Strings

    /// Parses the string starting at the opening quote. The fast path validates and measures in
    /// one pass and builds the String from the slice; escapes divert to `parseEscapedString`.
    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                return String(decoding: slice, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                return try parseEscapedString(from: start)
            }
            if byte < 0x20 {
                throw JSONParseError(.controlCharacterInString(byte), at: index)
            }
            if byte < 0x80 {
                index += 1
            } else {
                index += try validateUTF8Sequence(at: index)
            }
        }
        throw JSONParseError(.unexpectedEnd, at: index)
    }

    private mutating func parseEscapedString(from start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape()
            case 0..<0x20:
                throw JSONParseError(.controlCharacterInString(byte), at: index)
            case 0x20..<0x80:
                scratch.append(byte)
                index += 1
            default:
                let length = try validateUTF8Sequence(at: index)
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<index + length]))
                index += length
            }
        }
        throw JSONParseError(.unexpectedEnd, at: index)
    }

    /// Decodes one escape at `index` (the backslash) into `scratch`.
    private mutating func parseEscape() throws(JSONParseError) {
        guard index + 1 < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index + 1) }
        let escaped = bytes[index + 1]
        let simple: UInt8?
        switch escaped {
        case UInt8(ascii: "\""): simple = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): simple = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): simple = UInt8(ascii: "/")
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "u"): simple = nil
        default: throw JSONParseError(.invalidEscape, at: index)
        }
        if let simple {
            scratch.append(simple)
            index += 2
            return
        }
        let unit = try readHex4(at: index + 2)
        index += 6
        switch unit {
        case 0xD800...0xDBFF:
            // A high surrogate pairs only with an immediately following `\uDC00`-`\uDFFF`;
            // anything else leaves it unpaired, which is an error (see the file header).
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                let low = try readHex4(at: index + 2)
                if (0xDC00...0xDFFF).contains(low) {
                    index += 6
                    let scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                    appendScalar(scalar)
                    return
                }
            }
            throw JSONParseError(.loneSurrogate, at: index - 6)
        case 0xDC00...0xDFFF:
            throw JSONParseError(.loneSurrogate, at: index - 6)
        default:
            appendScalar(UInt32(unit))
        }
    }

    private func readHex4(at position: Int) throws(JSONParseError) -> UInt16 {
        guard position + 4 <= bytes.count else { throw JSONParseError(.unexpectedEnd, at: bytes.count) }
        var value: UInt16 = 0
        for k in position..<position + 4 {
            let byte = bytes[k]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidUnicodeEscape, at: k)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private mutating func appendScalar(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | (scalar >> 6)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | (scalar >> 12)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        default:
            scratch.append(UInt8(0xF0 | (scalar >> 18)))
            scratch.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// Length of the well-formed UTF-8 sequence starting at `position` (a byte >= 0x80), per the
    /// Unicode table of well-formed byte sequences: no overlongs, surrogates or values > U+10FFFF.
    private func validateUTF8Sequence(at position: Int) throws(JSONParseError) -> Int {
        let lead = bytes[position]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw JSONParseError(.invalidUTF8, at: position)
        }
        guard position + length <= bytes.count else { throw JSONParseError(.invalidUTF8, at: position) }
        let second = bytes[position + 1]
        guard second >= low && second <= high else { throw JSONParseError(.invalidUTF8, at: position) }
        for k in position + 2..<position + length where bytes[k] & 0xC0 != 0x80 {
            throw JSONParseError(.invalidUTF8, at: position)
        }
        return length
    }

    // MARK: - Helpers

    @inline(__always)
    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private func unexpectedHere() -> JSONParseError {
        guard index < bytes.count else { return JSONParseError(.unexpectedEnd, at: index) }
        let byte = bytes[index]
        return JSONParseError(byte >= 0x80 ? .invalidUTF8 : .unexpectedByte(byte), at: index)
    }
}
