// Validating JSON without building it.
//
// The daemon forwards what a worker answers to the client that asked (RawJSON.swift): it must know
// the bytes are JSON — a worker is a semi-trusted process and a client must never receive a
// malformed reply — but it never looks inside a `script.exec` result, so building a `JSONValue`
// tree only to serialise it again was most of a forwarded call's cost. These walks accept exactly
// what `parseDocument` accepts (the same strict rules: UTF-8, escapes, lone surrogates, number
// grammar, depth, duplicate keys) and build nothing but the key comparisons duplicates need; a
// differential test holds them to it. Errors are not reported in detail: a caller that needs the
// reason parses again (rare: only a broken worker sends invalid JSON).

extension JSONParser {
    /// Validates the whole input as one JSON text; returns the range of the value (whitespace
    /// around it excluded).
    mutating func validateDocument() throws(JSONParseError) -> Range<Int> {
        skipWhitespace()
        guard index < bytes.count else {
            throw JSONParseError(bytes.isEmpty ? .emptyInput : .unexpectedEnd, at: index)
        }
        let start = index
        try skipValue()
        let end = index
        skipWhitespace()
        guard index == bytes.count else { throw JSONParseError(.trailingData, at: index) }
        return start..<end
    }

    /// Where a message object's envelope members are, as ranges of the input.
    typealias EnvelopeRanges = EnvelopeSlots<Range<Int>>

    /// Validates a body that is one JSON object and returns where its envelope members are; nil
    /// when the body is valid JSON but not an object. Other members are validated and skipped.
    mutating func scanEnvelope() throws(JSONParseError) -> EnvelopeRanges? {
        skipWhitespace()
        guard index < bytes.count else {
            throw JSONParseError(bytes.isEmpty ? .emptyInput : .unexpectedEnd, at: index)
        }
        guard bytes[index] == UInt8(ascii: "{") else {
            _ = try validateDocument()
            return nil
        }
        try enterContainer()
        index += 1
        var ranges = EnvelopeRanges()
        var otherKeys: [String] = []
        var duplicate = false
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw unexpectedHere() }
                let key = try parseEnvelopeKey()
                try expectColon()
                let start = index
                try skipValue()
                switch key {
                case .envelope(let name):
                    if ranges[name] != nil { duplicate = true }
                    ranges[name] = start..<index
                case .other(let name):
                    if otherKeys.contains(name) { duplicate = true }
                    otherKeys.append(name)
                }
                if try endOfMember(closing: UInt8(ascii: "}")) { break }
            }
        }
        depth -= 1
        skipWhitespace()
        guard index == bytes.count else { throw JSONParseError(.trailingData, at: index) }
        if duplicate { throw JSONParseError(.duplicateKey(""), at: 0) }  // (see skipObject)
        return ranges
    }

    // MARK: - Values

    mutating func skipValue() throws(JSONParseError) {
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): try skipObject()
        case UInt8(ascii: "["): try skipArray()
        case UInt8(ascii: "\""): _ = try skipString()
        case UInt8(ascii: "t"): try expectLiteral("true")
        case UInt8(ascii: "f"): try expectLiteral("false")
        case UInt8(ascii: "n"): try expectLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try skipNumber()
        default: throw unexpectedHere()
        }
    }

    private mutating func skipArray() throws(JSONParseError) {
        try enterContainer()
        index += 1  // '['
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            try skipValue()
            if try endOfMember(closing: UInt8(ascii: "]")) { break }
        }
        depth -= 1
    }

    /// Keys are compared as bytes while they are plain ASCII (no escapes): there, byte equality is
    /// String equality. A key with escapes or non-ASCII text switches the object to a set of
    /// Strings, because Swift compares Strings by canonical equivalence ("\u212A", the Kelvin
    /// sign, equals "K") and the tree parser's dictionary does too; so does a large object,
    /// where pairwise comparison would be quadratic.
    private mutating func skipObject() throws(JSONParseError) {
        let objectStart = index
        try enterContainer()
        index += 1  // '{'
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        // Plain keys of the objects being walked, innermost last (shared, like `memberStack`).
        let base = keyStack.count
        if base == 0 { keyStack.reserveCapacity(16) }
        defer { keyStack.removeLast(keyStack.count - base) }
        var keySet: Set<String>?
        var duplicate = false
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpectedHere() }
            let keyStart = index
            let plain = try skipString()
            if !duplicate {
                let key = keyStart + 1..<index - 1
                if keySet == nil, plain, keyStack.count - base < 16 {
                    for earlier in keyStack[base...] where bytesEqual(earlier, key) {
                        duplicate = true
                        break
                    }
                    keyStack.append(key)
                } else {
                    if keySet == nil {
                        var set = Set<String>(minimumCapacity: 2 * (keyStack.count - base + 1))
                        for earlier in keyStack[base...] { set.insert(text(earlier)) }
                        keySet = set
                    }
                    let name = plain ? text(key) : try decodedString(at: keyStart)
                    if keySet?.insert(name).inserted == false { duplicate = true }
                }
            }
            try expectColon()
            try skipValue()
            if try endOfMember(closing: UInt8(ascii: "}")) { break }
        }
        // Reported once the object is complete, as `parseObject` does; a caller that needs the
        // key and its offset parses again.
        if duplicate { throw JSONParseError(.duplicateKey(""), at: objectStart) }
        depth -= 1
    }

    private func bytesEqual(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        guard a.count == b.count else { return false }
        var i = a.lowerBound
        var j = b.lowerBound
        while i < a.upperBound {
            if bytes[i] != bytes[j] { return false }
            i += 1
            j += 1
        }
        return true
    }

    private func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The String a (validated) string literal at `position` denotes.
    private mutating func decodedString(at position: Int) throws(JSONParseError) -> String {
        let resume = index
        index = position
        let decoded = try parseString()
        index = resume
        return decoded
    }

    private mutating func skipNumber() throws(JSONParseError) {
        let start = index
        guard let length = JSONNumber.scanLiteral(UnsafeBufferPointer(rebasing: bytes[start...])) else {
            throw JSONParseError(.invalidNumber, at: start)
        }
        index = start + length
        if index < bytes.count, JSONNumber.isDigit(bytes[index]) {
            throw JSONParseError(.invalidNumber, at: start)
        }
    }

    // MARK: - Strings

    /// Validates the string literal at `index` (its opening quote) and moves past it. True when
    /// it was plain ASCII with no escapes. Printable ASCII is skipped eight bytes at a time
    /// (ByteScan.swift); everything else goes through the checks one at a time.
    mutating func skipString() throws(JSONParseError) -> Bool {
        guard let base = bytes.baseAddress else { throw JSONParseError(.unexpectedEnd, at: index) }
        let end = bytes.count
        var i = index + 1  // after the opening quote
        var plain = true
        while true {
            i = ByteScan.firstNonPlain(base, from: i, to: end)
            guard i < end else {
                index = i
                throw JSONParseError(.unexpectedEnd, at: i)
            }
            let byte = base[i]
            if byte == UInt8(ascii: "\"") {
                index = i + 1
                return plain
            }
            index = i
            plain = false
            if byte == UInt8(ascii: "\\") {
                try skipEscape()
            } else if byte < 0x20 {
                throw JSONParseError(.controlCharacterInString(byte), at: i)
            } else {
                index += try validateUTF8Sequence(at: i)
            }
            i = index
        }
    }

    /// `parseEscape`'s rules without decoding.
    private mutating func skipEscape() throws(JSONParseError) {
        guard index + 1 < bytes.count else { throw JSONParseError(.unexpectedEnd, at: index + 1) }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
             UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 2
            return
        case UInt8(ascii: "u"):
            break
        default:
            throw JSONParseError(.invalidEscape, at: index)
        }
        let unit = try readHex4(at: index + 2)
        index += 6
        switch unit {
        case 0xD800...0xDBFF:
            if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                let low = try readHex4(at: index + 2)
                if (0xDC00...0xDFFF).contains(low) {
                    index += 6
                    return
                }
            }
            throw JSONParseError(.loneSurrogate, at: index - 6)
        case 0xDC00...0xDFFF:
            throw JSONParseError(.loneSurrogate, at: index - 6)
        default:
            return
        }
    }
}
