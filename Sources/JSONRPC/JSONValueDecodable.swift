// Params that read themselves from a `JSONValue`, for methods on the hot path.
//
// `JSONValueDecoder` goes through Codable's existential containers: for `script.exec`'s four
// params that was ~11k instructions per call (callgrind), a tenth of what the daemon spent
// forwarding an exec. A type that conforms here is decoded by its own `init(jsonValue:)` instead;
// `JSONObjectReader` gives it the decoder's exact rules and messages (unknown members refused,
// no string read as a number, `null` for an optional is absent), and a test holds each
// conforming type to its Codable decoding, errors included. The dispatcher decides once per
// method which way to decode (as for `JSONValueRepresentable` results).

/// A `Decodable` type that can also decode itself from a `JSONValue` without `JSONValueDecoder`.
/// Keep `init(jsonValue:)` equal to the Codable decoding with `rejectUnknownKeys`, errors
/// included.
public protocol JSONValueDecodable: Decodable {
    init(jsonValue: JSONValue) throws(JSONDecodingError)
}

/// Reads the members of a flat object the way `JSONValueDecoder(rejectUnknownKeys: true)` does
/// for a synthesized `init(from:)`: decode members in declaration order, so the first error is
/// the one Codable would report.
public struct JSONObjectReader {
    private let members: [String: JSONValue]

    /// Fails like the decoder's keyed container: not an object, or a member not in `keys` (the
    /// smallest such name is reported).
    public init(_ value: JSONValue, keys: [String]) throws(JSONDecodingError) {
        guard case .object(let members) = value else {
            throw JSONDecodingError(path: "", reason: "expected an object, got \(ValueDecoder.describe(value))")
        }
        var unknown: String?
        for key in members.keys where !keys.contains(key) {
            if let current = unknown, current <= key { continue }
            unknown = key
        }
        if let unknown { throw JSONDecodingError(path: unknown, reason: "unknown member") }
        self.members = members
    }

    public func string(_ key: String) throws(JSONDecodingError) -> String {
        if case .string(let text)? = members[key] { return text }  // the usual case, no coding path built
        return try read(key) { try ValueDecoder.string($0, at: $1) }
    }

    public func stringIfPresent(_ key: String) throws(JSONDecodingError) -> String? {
        try readIfPresent(key) { try ValueDecoder.string($0, at: $1) }
    }

    public func double(_ key: String) throws(JSONDecodingError) -> Double {
        try read(key) { try ValueDecoder.double($0, at: $1) }
    }

    public func doubleIfPresent(_ key: String) throws(JSONDecodingError) -> Double? {
        try readIfPresent(key) { try ValueDecoder.double($0, at: $1) }
    }

    public func int(_ key: String) throws(JSONDecodingError) -> Int {
        try read(key) { try ValueDecoder.integer(Int.self, $0, at: $1) }
    }

    public func intIfPresent(_ key: String) throws(JSONDecodingError) -> Int? {
        try readIfPresent(key) { try ValueDecoder.integer(Int.self, $0, at: $1) }
    }

    public func bool(_ key: String) throws(JSONDecodingError) -> Bool {
        try read(key) { try ValueDecoder.bool($0, at: $1) }
    }

    public func boolIfPresent(_ key: String) throws(JSONDecodingError) -> Bool? {
        try readIfPresent(key) { try ValueDecoder.bool($0, at: $1) }
    }

    private func read<T>(_ key: String, _ convert: (JSONValue, [any CodingKey]) throws -> T) throws(JSONDecodingError) -> T {
        guard let value = members[key] else { throw JSONDecodingError(path: key, reason: "missing required key") }
        return try converted(value, key, convert)
    }

    /// Absent or `null` is nil, as `decodeIfPresent` reads it.
    private func readIfPresent<T>(_ key: String, _ convert: (JSONValue, [any CodingKey]) throws -> T) throws(JSONDecodingError) -> T? {
        guard let value = members[key], value != .null else { return nil }
        return try converted(value, key, convert)
    }

    private func converted<T>(_ value: JSONValue, _ key: String, _ convert: (JSONValue, [any CodingKey]) throws -> T) throws(JSONDecodingError) -> T {
        do {
            return try convert(value, [StringKey(key)])
        } catch let error as DecodingError {
            throw JSONDecodingError(error)
        } catch {
            throw JSONDecodingError(path: key, reason: String(describing: error))
        }
    }
}
