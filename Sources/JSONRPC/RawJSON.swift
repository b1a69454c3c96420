// JSON text kept as bytes: a value the daemon passes on without looking inside.
//
// A worker's `script.exec` result goes to the client that asked, unchanged. Parsing it into a
// `JSONValue` tree and serialising it again was most of what the daemon spent on a forwarded call
// (callgrind: ~60k of ~107k instructions per exec), so the bytes are validated instead
// (`JSONParser.validateDocument`: exactly the tree parser's rules, nothing built) and copied
// into the reply. A `RawJSON` is always one well-formed JSON value with no raw line break (so it
// can go into a newline-delimited frame), which its initialisers guarantee.

/// One well-formed JSON value, as UTF-8 bytes.
public struct RawJSON: Hashable, Sendable {
    /// The JSON text: one value, no whitespace around it, no raw CR or LF anywhere.
    public let bytes: [UInt8]

    /// Trusted bytes (validated by the caller, CR/LF-free).
    init(validated bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Validates `bytes` as one JSON text (the strict rules of `JSON.parse`; whitespace around the
    /// value is dropped, and line breaks between tokens are removed).
    public init(validating bytes: [UInt8], maxDepth: Int = JSON.defaultMaxDepth) throws(JSONParseError) {
        let range = try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> Range<Int> in
            var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
            return try parser.validateDocument()
        }
        self.init(validatedSlice: bytes[range])
    }

    /// A slice already validated as one JSON value.
    init(validatedSlice slice: ArraySlice<UInt8>) {
        // A raw CR or LF can only be whitespace between tokens (strings cannot hold one): drop
        // the whitespace so newline-delimited framing stays intact.
        let hasLineBreak = slice.withUnsafeBufferPointer { text in
            for byte in text where byte == 0x0A || byte == 0x0D { return true }
            return false
        }
        bytes = hasLineBreak ? Self.compacted(slice) : Array(slice)
    }

    /// The compact JSON text of `value` (as `JSON.encode`).
    public init(_ value: JSONValue) {
        bytes = JSON.encode(value)
    }

    /// The value as a tree.
    public func parsed(maxDepth: Int = JSON.maxSupportedDepth) throws(JSONParseError) -> JSONValue {
        try JSON.parse(bytes, maxDepth: maxDepth)
    }

    /// The value as a tree. (The bytes were validated, so this cannot fail short of a bug; a
    /// debug build stops on one, a release build answers null.)
    public var value: JSONValue {
        do {
            return try parsed()
        } catch {
            assertionFailure("RawJSON holds invalid JSON: \(error)")
            return .null
        }
    }

    public var isObject: Bool { bytes.first == UInt8(ascii: "{") }

    /// The text as a String.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The value of a top-level member, when this is an object that has it.
    public func member(_ key: String) -> RawJSON? {
        members([key])[0]
    }

    /// The values of several top-level members, in one pass (nil where absent or not an object).
    public func members(_ keys: [String]) -> [RawJSON?] {
        valueRanges(keys).map { range in range.map { RawJSON(validated: Array(bytes[$0])) } }
    }

    /// This object with `members` set: an existing member's value is replaced in place, a new one
    /// is added at the end. Anything but an object is returned unchanged. Costs one pass over the
    /// top-level keys, not a parse of the values.
    public func settingMembers(_ members: KeyValuePairs<String, JSONValue>) -> RawJSON {
        guard isObject, !members.isEmpty else { return self }
        let ranges = valueRanges(members.map(\.key))
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 32 * members.count)
        var position = 0
        // Replace in text order.
        for (range, slot) in zip(ranges, ranges.indices).compactMap({ range, slot in range.map { ($0, slot) } })
            .sorted(by: { $0.0.lowerBound < $1.0.lowerBound }) {
            out.append(contentsOf: bytes[position..<range.lowerBound])
            JSONSerializer.write(members[slot].value, into: &out)
            position = range.upperBound
        }
        out.append(contentsOf: bytes[position..<(bytes.count - 1)])  // all but the closing brace
        var empty = !hasMembers
        for (slot, member) in members.enumerated() where ranges[slot] == nil {
            if !empty { out.append(UInt8(ascii: ",")) }
            empty = false
            JSONSerializer.writeString(member.key, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONSerializer.write(member.value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return RawJSON(validated: out)
    }

    /// `settingMembers` for one member.
    public func settingMember(_ key: String, _ value: JSONValue) -> RawJSON {
        settingMembers([key: value])
    }

    /// An object with at least one member.
    private var hasMembers: Bool {
        guard isObject else { return false }
        for byte in bytes.dropFirst() {
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            default: return byte != UInt8(ascii: "}")
            }
        }
        return false
    }

    /// The byte ranges of the values of the top-level members named `keys` (nil where absent, or
    /// when this is not an object). A key written plainly (ASCII, no escapes) is compared as bytes;
    /// any other is decoded and compared as a String (canonical equivalence, as the parser's
    /// dictionary compares keys).
    private func valueRanges(_ keys: [String]) -> [Range<Int>?] {
        var ranges = [Range<Int>?](repeating: nil, count: keys.count)
        guard isObject else { return ranges }
        let names = keys.map { Array($0.utf8) }
        let asciiNames = names.map { $0.allSatisfy { $0 < 0x80 } }
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var parser = JSONParser(bytes: buffer, maxDepth: JSON.maxSupportedDepth)
            do throws(JSONParseError) {
                parser.index = 1
                parser.skipWhitespace()
                if parser.peek() == UInt8(ascii: "}") { return }
                while true {
                    parser.skipWhitespace()
                    let keyStart = parser.index + 1
                    let plain = try parser.skipString()
                    let keyLength = parser.index - 1 - keyStart
                    try parser.expectColon()
                    let valueStart = parser.index
                    try parser.skipValue()
                    for slot in 0..<names.count where ranges[slot] == nil {
                        let matched: Bool
                        if plain && asciiNames[slot] {
                            matched = keyLength == names[slot].count
                                && UnsafeBufferPointer(start: base + keyStart, count: keyLength).elementsEqual(names[slot])
                        } else {
                            let literal = UnsafeBufferPointer(start: base + keyStart - 1, count: keyLength + 2)
                            matched = (try? JSON.parse(Array(literal))) == .string(keys[slot])
                        }
                        if matched { ranges[slot] = valueStart..<parser.index }
                    }
                    if try parser.endOfMember(closing: UInt8(ascii: "}")) { return }
                }
            } catch {
                assertionFailure("RawJSON holds invalid JSON: \(error)")
            }
        }
        return ranges
    }

    /// The text without whitespace between tokens (spaces inside strings are kept).
    static func compacted(_ slice: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var inString = false
        var escaped = false
        for byte in slice {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                out.append(byte)
                continue
            }
            switch byte {
            case 0x20, 0x09, 0x0A, 0x0D:
                continue
            case UInt8(ascii: "\""):
                inString = true
            default:
                break
            }
            out.append(byte)
        }
        return out
    }
}

extension RawJSON: CustomStringConvertible {
    public var description: String { text }
}

extension RawJSON: JSONValueRepresentable {
    public var jsonValue: JSONValue { value }
}
