// Compact, deterministic JSON output.
//
// Object keys are sorted (Swift `String` order) so the same value always gives the same bytes:
// tests compare replies byte for byte and transcripts stay stable. No whitespace is emitted, and
// control characters are always escaped, so output never contains a raw newline and each message
// fits on one line of newline-delimited framing. Non-ASCII text is written as UTF-8 as is; `/`
// and U+2028/U+2029 are not escaped (RFC 8259 does not require it).

enum JSONSerializer {
    static func write(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .null:
            appendASCII("null", to: &out)
        case .bool(let flag):
            appendASCII(flag ? "true" : "false", to: &out)
        case .number(let number):
            writeNumber(number, into: &out)
        case .string(let string):
            writeString(string, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            if members.count == 1, let (key, member) = members.first {
                // The common single-member object (`{"pong":true}`) needs no sorted key array.
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member, into: &out)
                out.append(UInt8(ascii: "}"))
                return
            }
            var first = true
            for key in members.keys.sorted() {
                guard let member = members[key] else { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeNumber(_ number: JSONNumber, into out: inout [UInt8]) {
        switch number.storage {
        case .int(let value):
            writeInt(value, into: &out)
        case .literal(let text):
            out.append(contentsOf: text.utf8)
        }
    }

    /// Decimal digits without going through String.
    static func writeInt(_ value: Int, into out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        // Work with the magnitude as UInt so Int.min needs no special case.
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 { out.append(UInt8(ascii: "-")) }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(20 - count)...]))
        }
    }

    static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let handled: Void? = string.utf8.withContiguousStorageIfAvailable { utf8 in
            writeEscaped(utf8, into: &out)
        }
        if handled == nil {
            var copy = string
            copy.withUTF8 { writeEscaped($0, into: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Escapes only `"`, `\` and controls. Text that needs no escaping (the usual case) is copied
    /// in one `append`; otherwise the output is sized first and written in place: an `append`
    /// per escape and per run between escapes cost ~250 instructions each, and a script's code
    /// has an escape on every line.
    private static func writeEscaped(_ utf8: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        guard let source = utf8.baseAddress else { return }
        let count = utf8.count
        var extra = 0
        var i = ByteScan.firstNeedingEscape(source, from: 0, to: count)
        while i < count {
            switch source[i] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), 0x08, 0x0C, 0x0A, 0x0D, 0x09: extra += 1
            default: extra += 5  // \u00XX
            }
            i = ByteScan.firstNeedingEscape(source, from: i + 1, to: count)
        }
        if extra == 0 {
            out.append(contentsOf: utf8)
            return
        }
        let start = out.count
        let total = count + extra
        out.reserveCapacity(start + total)
        out.append(contentsOf: repeatElement(0, count: total))
        out.withUnsafeMutableBufferPointer { buffer in
            guard let target = buffer.baseAddress?.advanced(by: start) else { return }
            var o = 0
            var i = 0
            while i < count {
                // Copy the run up to the next byte that needs escaping.
                let j = ByteScan.firstNeedingEscape(source, from: i, to: count)
                if j > i {
                    (target + o).update(from: source + i, count: j - i)
                    o += j - i
                    i = j
                    if i == count { break }
                }
                let byte = source[i]
                i += 1
                target[o] = UInt8(ascii: "\\")
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): target[o + 1] = byte
                case 0x08: target[o + 1] = UInt8(ascii: "b")
                case 0x0C: target[o + 1] = UInt8(ascii: "f")
                case 0x0A: target[o + 1] = UInt8(ascii: "n")
                case 0x0D: target[o + 1] = UInt8(ascii: "r")
                case 0x09: target[o + 1] = UInt8(ascii: "t")
                default:
                    target[o + 1] = UInt8(ascii: "u")
                    target[o + 2] = UInt8(ascii: "0")
                    target[o + 3] = UInt8(ascii: "0")
                    target[o + 4] = hexDigit(byte >> 4)
                    target[o + 5] = hexDigit(byte & 0xF)
                    o += 6
                    continue
                }
                o += 2
            }
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    @inline(__always)
    static func appendASCII(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}
