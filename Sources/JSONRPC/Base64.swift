// Standard base64 (RFC 4648 §4, with padding) written straight into an output buffer, and JSON
// text built from it without a JSON tree.
//
// Inline delivery puts rendered images and exports into JSON messages as base64 strings. Going
// through `Data.base64EncodedString()` and then a `JSONValue.string` would cost three copies and
// a serialiser pass that checks every character for escaping, none of which base64 ever needs;
// here the encoder appends its alphabet (which never needs escaping) to the message being built.

public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The length of the encoding of `count` bytes.
    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Writes the base64 encoding of `bytes` at `target`, which must have room for
    /// `encodedCount(bytes.count)` bytes. Plain pointer arithmetic: buffer subscripts cost range
    /// checks and generic calls per byte in debug builds (the tests'), which made a 4 MB image
    /// take a second on the loop thread.
    public static func encode(_ bytes: UnsafeRawBufferPointer, into target: UnsafeMutablePointer<UInt8>) {
        guard let source = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = bytes.count
        alphabet.withUnsafeBufferPointer { alphabet in
            guard let table = alphabet.baseAddress else { return }
            var input = source
            var output = target
            let end = source + (count - count % 3)
            while input < end {
                let chunk = UInt32(input.pointee) << 16 | UInt32((input + 1).pointee) << 8 | UInt32((input + 2).pointee)
                output.pointee = (table + Int(chunk >> 18)).pointee
                (output + 1).pointee = (table + Int(chunk >> 12 & 0x3F)).pointee
                (output + 2).pointee = (table + Int(chunk >> 6 & 0x3F)).pointee
                (output + 3).pointee = (table + Int(chunk & 0x3F)).pointee
                output += 4
                input += 3
            }
            let rest = count % 3
            if rest > 0 {
                let second = rest == 2 ? UInt32((input + 1).pointee) << 8 : 0
                let chunk = UInt32(input.pointee) << 16 | second
                output.pointee = (table + Int(chunk >> 18)).pointee
                (output + 1).pointee = (table + Int(chunk >> 12 & 0x3F)).pointee
                (output + 2).pointee = rest == 2 ? (table + Int(chunk >> 6 & 0x3F)).pointee : UInt8(ascii: "=")
                (output + 3).pointee = UInt8(ascii: "=")
            }
        }
    }

    /// `prefix`, the base64 encoding of `bytes`, then `suffix`, in one array of exactly that size:
    /// a message carrying a file inline is built with a single allocation of its final length.
    public static func encode(_ bytes: [UInt8], between prefix: [UInt8], and suffix: [UInt8]) -> [UInt8] {
        let encoded = encodedCount(bytes.count)
        let total = prefix.count + encoded + suffix.count
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            prefix.withUnsafeBufferPointer { if let from = $0.baseAddress { base.update(from: from, count: prefix.count) } }
            bytes.withUnsafeBytes { encode($0, into: base + prefix.count) }
            suffix.withUnsafeBufferPointer { if let from = $0.baseAddress { (base + prefix.count + encoded).update(from: from, count: suffix.count) } }
            initialized = total
        }
    }

    /// Appends the base64 encoding of `bytes` to `out`.
    public static func encode(_ bytes: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) {
        guard bytes.count > 0 else { return }
        let encoded = [UInt8](unsafeUninitializedCapacity: encodedCount(bytes.count)) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }
            encode(bytes, into: base)
            initialized = encodedCount(bytes.count)
        }
        out.append(contentsOf: encoded)
    }

    public static func encode(_ bytes: [UInt8], appendingTo out: inout [UInt8]) {
        bytes.withUnsafeBytes { encode($0, appendingTo: &out) }
    }

    /// The base64 text of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(encodedCount(bytes.count))
        encode(bytes, appendingTo: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension RawJSON {
    /// A JSON string holding the base64 encoding of `bytes` (no escaping is ever needed).
    public static func base64String(_ bytes: [UInt8]) -> RawJSON {
        var out: [UInt8] = []
        out.reserveCapacity(Base64.encodedCount(bytes.count) + 2)
        out.append(UInt8(ascii: "\""))
        Base64.encode(bytes, appendingTo: &out)
        out.append(UInt8(ascii: "\""))
        return RawJSON(validated: out)
    }

    /// An object of the given members, in order (keys must be distinct).
    public static func object(_ members: [(key: String, value: RawJSON)]) -> RawJSON {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(members.reduce(2) { $0 + $1.key.utf8.count + $1.value.bytes.count + 4 })
        for (position, member) in members.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            JSONSerializer.writeString(member.key, into: &out)
            out.append(UInt8(ascii: ":"))
            out.append(contentsOf: member.value.bytes)
        }
        out.append(UInt8(ascii: "}"))
        return RawJSON(validated: out)
    }

    /// An array of the given values, in order.
    public static func array(_ items: [RawJSON]) -> RawJSON {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(items.reduce(2) { $0 + $1.bytes.count + 1 })
        for (position, item) in items.enumerated() {
            if position > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: item.bytes)
        }
        out.append(UInt8(ascii: "]"))
        return RawJSON(validated: out)
    }
}
