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
            text.baseAddress.map { ByteScan.containsLineBreak($0, from: 0, to: text.count) } ?? false
        }
        bytes = hasLineBreak ? Self.compacted(slice) : Array(slice)
    }

    /// The compact JSON text of `value` (as `JSON.encode`).
    public init(_ value: JSONValue) {
        bytes = JSON.encode(value)
    }

    /// An object of members whose values are JSON text already, in the order given. The keys
    /// must differ (a repeated key would make invalid JSON).
    public init(object members: KeyValuePairs<String, RawJSON>) {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(members.reduce(2) { $0 + $1.key.utf8.count + $1.value.bytes.count + 4 })
        for (index, (key, value)) in members.enumerated() {
            assert(!members.dropFirst(index + 1).contains { $0.key == key }, "RawJSON(object:) given the key \(key) twice")
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONSerializer.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: value.bytes)
        }
        out.append(UInt8(ascii: "}"))
        self.init(validated: out)
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

    public var isString: Bool { bytes.first == UInt8(ascii: "\"") }

    /// The text as a String.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The value of a top-level member, when this is an object that has it.
    public func member(_ key: String) -> RawJSON? {
        find(key).map { RawJSON(validated: Array(bytes[$0])) }
    }

    /// The top-level members of an object, in order, keys decoded; nil when this is not an
    /// object. One walk over the text; only the keys and the values' bytes are copied.
    public func objectMembers() -> [(key: String, value: RawJSON)]? {
        guard isObject else { return nil }
        return bytes.withUnsafeBufferPointer { text in
            var walker = TopLevelMembers(text)
            var members: [(key: String, value: RawJSON)] = []
            while let member = walker.next() {
                members.append((TopLevelMembers.key(member, in: text), RawJSON(validated: Array(text[member.value]))))
            }
            return members
        }
    }

    /// This object with `members` set: an existing member's value is replaced in place, a new one
    /// is added at the end. Anything but an object is returned unchanged. Costs a walk over the
    /// top-level structure per member set, not a parse.
    public func settingMembers(_ members: KeyValuePairs<String, JSONValue>) -> RawJSON {
        guard isObject, !members.isEmpty else { return self }
        var replacements: [(range: Range<Int>, value: JSONValue)] = []
        var additions: [(key: String, value: JSONValue)] = []
        for (key, value) in members {
            if let range = find(key) { replacements.append((range, value)) } else { additions.append((key, value)) }
        }
        replacements.sort { $0.range.lowerBound < $1.range.lowerBound }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 32 * members.count)
        var position = 0
        for (range, value) in replacements {
            out.append(contentsOf: bytes[position..<range.lowerBound])
            JSONSerializer.write(value, into: &out)
            position = range.upperBound
        }
        out.append(contentsOf: bytes[position..<(bytes.count - 1)])  // all but the closing brace
        var empty = !hasMembers
        for (key, value) in additions {
            if !empty { out.append(UInt8(ascii: ",")) }
            empty = false
            JSONSerializer.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            JSONSerializer.write(value, into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return RawJSON(validated: out)
    }

    /// `settingMembers` for one member, in one walk and one allocation (the checkpoint member
    /// of every forwarded script.exec result).
    public func settingMember(_ key: String, _ value: JSONValue) -> RawJSON {
        setting(key, reserving: 16) { JSONSerializer.write(value, into: &$0) }
    }

    /// This object with the member `key` set to `value`, which is already JSON text: a large
    /// value (an inline file) is copied once, never parsed or serialised. Replaces an existing
    /// member of that name; anything but an object is returned unchanged.
    public func settingMember(_ key: String, raw value: RawJSON) -> RawJSON {
        setting(key, reserving: value.bytes.count) { $0.append(contentsOf: value.bytes) }
    }

    /// This object with the member `key`'s value replaced in place, or the member added at the
    /// end, the value written by `write`; anything but an object is returned unchanged.
    private func setting(_ key: String, reserving valueBytes: Int, _ write: (inout [UInt8]) -> Void) -> RawJSON {
        guard isObject else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + key.utf8.count + valueBytes + 4)
        if let range = find(key) {
            out.append(contentsOf: bytes[..<range.lowerBound])
            write(&out)
            out.append(contentsOf: bytes[range.upperBound...])
        } else {
            out.append(contentsOf: bytes.dropLast())  // all but the closing brace
            if hasMembers { out.append(UInt8(ascii: ",")) }
            JSONSerializer.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            write(&out)
            out.append(UInt8(ascii: "}"))
        }
        return RawJSON(validated: out)
    }

    /// An object with at least one member.
    private var hasMembers: Bool {
        // Valid text: after the brace and any whitespace comes a key's quote or the closing brace.
        bytes.dropFirst().first { $0 > 0x20 } == UInt8(ascii: "\"")
    }

    /// The byte range of a top-level member's value (nil when absent, or not an object). A key
    /// written plainly (ASCII, no escapes) is compared as bytes; any other is decoded and compared
    /// as a String (canonical equivalence, as the parser's dictionary compares keys).
    private func find(_ name: String) -> Range<Int>? {
        guard isObject else { return nil }
        var name = name
        return name.withUTF8 { wanted in
            let asciiName = !wanted.contains { $0 >= 0x80 }
            return bytes.withUnsafeBufferPointer { text in
                var walker = TopLevelMembers(text)
                while let member = walker.next() {
                    let matches: Bool
                    if member.plain && asciiName {
                        matches = member.key.count == wanted.count
                            && UnsafeBufferPointer(rebasing: text[member.key]).elementsEqual(wanted)
                    } else {
                        matches = TopLevelMembers.key(member, in: text) == String(decoding: wanted, as: UTF8.self)
                    }
                    if matches { return member.value }
                }
                return nil
            }
        }
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

/// The members of a top-level object in text already validated (RawJSON): no checks, only the
/// structure (strings, nesting), so a walk costs a few instructions a byte.
private struct TopLevelMembers {
    private let base: UnsafePointer<UInt8>?
    private let end: Int
    private var i = 1  // after "{"

    init(_ text: UnsafeBufferPointer<UInt8>) {
        base = text.baseAddress
        end = text.count
    }

    /// The next member: its key's range between the quotes, whether the key is plain ASCII
    /// without escapes, and its value's range.
    /// A member's key, decoded: a plain one is taken as it is, any other parsed (escapes,
    /// non-ASCII). The text was validated, so parsing the literal cannot fail.
    static func key(_ member: (key: Range<Int>, plain: Bool, value: Range<Int>), in text: UnsafeBufferPointer<UInt8>) -> String {
        if member.plain { return String(decoding: UnsafeBufferPointer(rebasing: text[member.key]), as: UTF8.self) }
        let literal = Array(text[(member.key.lowerBound - 1)..<(member.key.upperBound + 1)])
        return (try? JSON.parse(literal))?.stringValue ?? ""
    }

    mutating func next() -> (key: Range<Int>, plain: Bool, value: Range<Int>)? {
        guard let base else { return nil }
        skipWhitespace(base)
        if i < end && base[i] == UInt8(ascii: ",") {
            i += 1
            skipWhitespace(base)
        }
        guard i < end, base[i] == UInt8(ascii: "\"") else { return nil }  // the closing brace
        let keyStart = i + 1
        let plain = skipString(base)
        let key = keyStart..<(i - 1)
        skipWhitespace(base)
        i += 1  // ":"
        skipWhitespace(base)
        let valueStart = i
        var depth = 0
        while i < end {
            let byte = base[i]
            if byte == UInt8(ascii: "\"") {
                _ = skipString(base)
                if depth == 0 { break }
                continue
            }
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                depth += 1
            } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                if depth == 0 { break }  // the object's own closing brace
                depth -= 1
                if depth == 0 {
                    i += 1
                    break
                }
            } else if depth == 0 && (byte == UInt8(ascii: ",") || byte <= 0x20) {
                break
            }
            i += 1
        }
        return (key, plain, valueStart..<i)
    }

    private mutating func skipWhitespace(_ base: UnsafePointer<UInt8>) {
        while i < end, base[i] <= 0x20 { i += 1 }  // valid text has no other bytes below 0x21 here
    }

    /// From an opening quote to after the closing one; false if the string had escapes or non-ASCII.
    private mutating func skipString(_ base: UnsafePointer<UInt8>) -> Bool {
        var plain = true
        i += 1
        while i < end {
            i = ByteScan.firstNonPlain(base, from: i, to: end)
            guard i < end else { break }
            let byte = base[i]
            if byte == UInt8(ascii: "\"") {
                i += 1
                return plain
            }
            plain = false
            i += byte == UInt8(ascii: "\\") ? 2 : 1  // an escaped byte never ends the string
        }
        return plain
    }
}
