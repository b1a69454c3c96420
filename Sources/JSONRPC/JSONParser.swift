// A strict RFC 8259 parser over bytes.
//
// It sits on the daemon's hot path (every request body passes through it), so it walks raw bytes
// with an index, builds strings straight from validated UTF-8 slices, and decodes strings that
// contain escapes straight into the String's storage. It recurses per nesting level; the depth limit
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
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0
    var depth = 0
    let maxDepth: Int
    /// Members of the objects being parsed, innermost last (see `parseObject`).
    /// Each member keeps its key's offset so a duplicate is reported where it stands.
    private var memberStack: [(key: String, value: JSONValue, offset: Int)] = []
    /// Plain keys of the objects being validated, innermost last (JSONParser+Validation.swift).
    var keyStack: [Range<Int>] = []

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

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
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
        if base == 0 { memberStack.reserveCapacity(8) }  // one allocation, not one per doubling
        defer { memberStack.removeLast(memberStack.count - base) }
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

    mutating func expectColon() throws(JSONParseError) {
        skipWhitespace()
        guard peek() == UInt8(ascii: ":") else { throw unexpectedHere() }
        index += 1
        skipWhitespace()
    }

    /// After a member or element: consumes `,` (false: more follow) or the closing bracket (true).
    mutating func endOfMember(closing: UInt8) throws(JSONParseError) -> Bool {
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

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth { throw JSONParseError(.tooDeep(limit: maxDepth), at: index) }
    }

    mutating func expectLiteral(_ word: StaticString) throws(JSONParseError) {
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
    enum EnvelopeKey {
        case envelope(EnvelopeFields.Key)
        case other(String)
    }

    mutating func parseEnvelopeKey() throws(JSONParseError) -> EnvelopeKey {
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
    mutating func parseString() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        if let base = bytes.baseAddress {
            // Plain ASCII, eight bytes at a time (ByteScan.swift); the loop below takes over at
            // the first byte that needs a closer look.
            let stop = ByteScan.firstNonPlain(base, from: start, to: bytes.count)
            if stop < bytes.count, base[stop] == UInt8(ascii: "\"") {
                index = stop + 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<stop]), as: UTF8.self)
            }
            index = stop
        }
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

    /// A string with escapes: validated to its closing quote first (`skipString`: the same rules),
    /// then decoded straight into the String's storage, text between escapes copied a run at a
    /// time. Unescaping never lengthens text, so the literal's length bounds the capacity.
    private mutating func parseEscapedString(from start: Int) throws(JSONParseError) -> String {
        index = start - 1  // the opening quote
        _ = try skipString()
        let end = index - 1  // the closing quote
        return String(unsafeUninitializedCapacity: end - start) { out in unescape(start..<end, into: out) }
    }

    /// Decodes a validated string literal's contents into `out`; returns the byte count.
    private func unescape(_ range: Range<Int>, into out: UnsafeMutableBufferPointer<UInt8>) -> Int {
        guard let source = bytes.baseAddress, let target = out.baseAddress else { return 0 }
        var i = range.lowerBound
        var o = 0
        while i < range.upperBound {
            if source[i] != UInt8(ascii: "\\") {
                // Validated text holds no raw `"` or control character: the next stop is a `\\`.
                let j = ByteScan.firstNeedingEscape(source, from: i + 1, to: range.upperBound)
                (target + o).update(from: source + i, count: j - i)
                o += j - i
                i = j
                continue
            }
            let escaped = source[i + 1]
            i += 2
            switch escaped {
            case UInt8(ascii: "b"): target[o] = 0x08
            case UInt8(ascii: "f"): target[o] = 0x0C
            case UInt8(ascii: "n"): target[o] = 0x0A
            case UInt8(ascii: "r"): target[o] = 0x0D
            case UInt8(ascii: "t"): target[o] = 0x09
            case UInt8(ascii: "u"):
                var scalar = UInt32(hex4(at: i))
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    // Validation guarantees the low half follows as `\uDC00`-`\uDFFF`.
                    let low = UInt32(hex4(at: i + 2))
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                o += Self.writeUTF8(scalar, to: target + o)
                continue
            default:
                target[o] = escaped  // `"`, `\`, `/`
            }
            o += 1
        }
        return o
    }

    /// The value of four hex digits already validated.
    private func hex4(at position: Int) -> UInt16 {
        var value: UInt16 = 0
        for k in position..<position + 4 {
            let byte = bytes[k]
            let digit = byte <= UInt8(ascii: "9") ? byte &- UInt8(ascii: "0") : (byte | 0x20) &- UInt8(ascii: "a") &+ 10
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private static func writeUTF8(_ scalar: UInt32, to out: UnsafeMutablePointer<UInt8>) -> Int {
        switch scalar {
        case 0..<0x80:
            out[0] = UInt8(scalar)
            return 1
        case 0x80..<0x800:
            out[0] = UInt8(0xC0 | (scalar >> 6))
            out[1] = UInt8(0x80 | (scalar & 0x3F))
            return 2
        case 0x800..<0x10000:
            out[0] = UInt8(0xE0 | (scalar >> 12))
            out[1] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
            out[2] = UInt8(0x80 | (scalar & 0x3F))
            return 3
        default:
            out[0] = UInt8(0xF0 | (scalar >> 18))
            out[1] = UInt8(0x80 | ((scalar >> 12) & 0x3F))
            out[2] = UInt8(0x80 | ((scalar >> 6) & 0x3F))
            out[3] = UInt8(0x80 | (scalar & 0x3F))
            return 4
        }
    }

    func readHex4(at position: Int) throws(JSONParseError) -> UInt16 {
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

    /// Length of the well-formed UTF-8 sequence starting at `position` (a byte >= 0x80), per the
    /// Unicode table of well-formed byte sequences: no overlongs, surrogates or values > U+10FFFF.
    func validateUTF8Sequence(at position: Int) throws(JSONParseError) -> Int {
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
    func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    func unexpectedHere() -> JSONParseError {
        guard index < bytes.count else { return JSONParseError(.unexpectedEnd, at: index) }
        let byte = bytes[index]
        return JSONParseError(byte >= 0x80 ? .invalidUTF8 : .unexpectedByte(byte), at: index)
    }
}
