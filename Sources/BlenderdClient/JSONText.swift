import JSONRPC

/// Human-facing JSON and number formatting for command-line output. Wire JSON is compact
/// (JSONRPC's serializer); people read indented JSON.
public enum JSONText {
    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    /// `value` with exactly `places` decimals, without Foundation's locale-dependent formatting.
    public static func decimal(_ value: Double, places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = (value * scale).rounded()
        let negative = scaled < 0
        let magnitude = Int(abs(scaled))
        let divisor = Int(scale)
        let whole = magnitude / divisor
        let fraction = magnitude % divisor
        var text = (negative ? "-" : "") + String(whole)
        if places > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: places - digits.count) + digits
        }
        return text
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closePad = String(repeating: "  ", count: indent)
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 1, into: &out)
                out += index + 1 < items.count ? ",\n" : "\n"
            }
            out += closePad + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            let keys = members.keys.sorted()
            for (index, key) in keys.enumerated() {
                out += pad + JSON.string(.string(key)) + ": "
                if let member = members[key] { write(member, indent: indent + 1, into: &out) }
                out += index + 1 < keys.count ? ",\n" : "\n"
            }
            out += closePad + "}"
        default:
            out += JSON.string(value)
        }
    }
}
