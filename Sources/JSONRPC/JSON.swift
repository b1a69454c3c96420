// The entry points for turning bytes into `JSONValue` and back. A namespace rather than free
// functions so call sites read `JSON.parse(body)` / `JSON.encode(value)`.

public enum JSON {
    /// The nesting limit used when a caller does not choose one (also `FrameLimits.maxDepth`).
    public static let defaultMaxDepth = 128

    /// The parser recurses once per nesting level, so larger limits are clamped to this to keep
    /// the stack bounded on any thread (a few hundred bytes per level).
    public static let maxSupportedDepth = 1_000

    /// Parses one JSON text (RFC 8259), optionally surrounded by whitespace.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer) throws(JSONParseError) -> JSONValue in
            var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
            return try parser.parseDocument()
        }
    }

    /// Parses one JSON text from raw memory (for example a read buffer), without copying it first.
    public static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        // Rebinding UInt8 over bytes (often CChar from a read buffer) is layout-compatible.
        let result = bytes.withMemoryRebound(to: UInt8.self) { typed -> Result<JSONValue, JSONParseError> in
            var parser = JSONParser(bytes: typed, maxDepth: maxDepth)
            do throws(JSONParseError) { return .success(try parser.parseDocument()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Parses the UTF-8 of a string (convenient in tests and for command-line input).
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// Appends the compact JSON for `value` to `bytes` (see `JSONSerializer` for the format).
    public static func serialize(_ value: JSONValue, into bytes: inout [UInt8]) {
        JSONSerializer.write(value, into: &bytes)
    }

    /// Compact JSON with sorted object keys: equal values always give equal bytes.
    public static func encode(_ value: JSONValue) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(64)
        JSONSerializer.write(value, into: &bytes)
        return bytes
    }

    /// `encode` as a String.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: encode(value), as: UTF8.self)
    }
}
