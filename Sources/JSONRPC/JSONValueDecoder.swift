// JSONValue → Decodable, directly (no Data round trip), strict about types: a string is never
// read as a number, `1.5` is not an Int, `300` is not an Int8. Every mismatch is reported as a
// DecodingError whose debugDescription is the human reason; `decode` turns it into a
// `JSONDecodingError` naming the path.

/// Decodes `Decodable` values from `JSONValue`.
public struct JSONValueDecoder {
    public var userInfo: [CodingUserInfoKey: Any] = [:]
    /// Refuse object members the type does not name. A misspelt optional parameter
    /// (`timout_s`) would otherwise be silently ignored and the caller never learn why its
    /// setting had no effect. A type's keys are whatever its `CodingKey` accepts, so
    /// dictionaries (`[String: X]`, any key) are unaffected.
    public var rejectUnknownKeys: Bool

    public init(rejectUnknownKeys: Bool = false) {
        self.rejectUnknownKeys = rejectUnknownKeys
    }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws(JSONDecodingError) -> T {
        if T.self == JSONValue.self, let same = value as? T { return same }
        do {
            return try T(from: ValueDecoder(value: value, codingPath: [], userInfo: userInfo, rejectUnknownKeys: rejectUnknownKeys))
        } catch let error as DecodingError {
            throw JSONDecodingError(error)
        } catch let error as JSONDecodingError {
            throw error
        } catch {
            // A type's own validation error: keep its text, the position is unknown.
            throw JSONDecodingError(path: "", reason: String(describing: error))
        }
    }
}

final class ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]
    let rejectUnknownKeys: Bool

    init(value: JSONValue, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any], rejectUnknownKeys: Bool) {
        self.value = value
        self.codingPath = codingPath
        self.userInfo = userInfo
        self.rejectUnknownKeys = rejectUnknownKeys
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw Self.mismatch(expected: "an object", got: value, at: codingPath, type: [String: JSONValue].self)
        }
        if rejectUnknownKeys {
            // The smallest unknown name, without sorting every key of every object.
            var unknown: String?
            for key in members.keys where Key(stringValue: key) == nil {
                if let current = unknown, current <= key { continue }
                unknown = key
            }
            if let unknown {
                throw DecodingError.dataCorrupted(DecodingError.Context(
                    codingPath: codingPath + [StringKey(unknown)], debugDescription: "unknown member"))
            }
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(decoder: self, members: members))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw Self.mismatch(expected: "an array", got: value, at: codingPath, type: [JSONValue].self)
        }
        return UnkeyedContainer(decoder: self, elements: elements)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(decoder: self)
    }

    func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, at path: [any CodingKey]) throws -> T {
        if T.self == JSONValue.self, let same = value as? T { return same }
        return try T(from: ValueDecoder(value: value, codingPath: path, userInfo: userInfo, rejectUnknownKeys: rejectUnknownKeys))
    }

    // MARK: Scalars

    static func bool(_ value: JSONValue, at path: [any CodingKey]) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch(expected: "a boolean", got: value, at: path, type: Bool.self) }
        return flag
    }

    static func string(_ value: JSONValue, at path: [any CodingKey]) throws -> String {
        guard case .string(let string) = value else { throw mismatch(expected: "a string", got: value, at: path, type: String.self) }
        return string
    }

    static func double(_ value: JSONValue, at path: [any CodingKey]) throws -> Double {
        guard case .number(let number) = value else { throw mismatch(expected: "a number", got: value, at: path, type: Double.self) }
        let double = number.double
        guard double.isFinite else { throw mismatch(expected: "a number in Double's range", got: value, at: path, type: Double.self) }
        return double
    }

    static func float(_ value: JSONValue, at path: [any CodingKey]) throws -> Float {
        let double = try double(value, at: path)
        let float = Float(double)
        guard float.isFinite else { throw mismatch(expected: "a number in Float's range", got: value, at: path, type: Float.self) }
        return float
    }

    static func integer<T: FixedWidthInteger>(_ type: T.Type, _ value: JSONValue, at path: [any CodingKey]) throws -> T {
        guard case .number(let number) = value else { throw mismatch(expected: "an integer", got: value, at: path, type: T.self) }
        if let int = number.int {
            if let exact = T(exactly: int) { return exact }
        } else if let big = UInt64(number.text), let exact = T(exactly: big) {
            // Only unsigned 64-bit values above Int.max get here.
            return exact
        } else if number.double.rounded() != number.double {
            throw mismatch(expected: "an integer", got: value, at: path, type: T.self)
        }
        throw mismatch(expected: "an integer in \(T.min)...\(T.max)", got: value, at: path, type: T.self)
    }

    // MARK: Errors

    static func mismatch(expected: String, got value: JSONValue, at path: [any CodingKey], type: Any.Type) -> DecodingError {
        DecodingError.typeMismatch(type, DecodingError.Context(
            codingPath: path, debugDescription: "expected \(expected), got \(describe(value))"))
    }

    /// A short rendering of the offending value: scalars as JSON (long strings cut), containers by kind.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .object, .array:
            return value.kindDescription
        case .string(let string) where string.count > 40:
            return JSON.string(.string(String(string.prefix(40)))).dropLast() + "…\""
        default:
            return JSON.string(value)
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ValueDecoder
    let members: [String: JSONValue]
    var codingPath: [any CodingKey] { decoder.codingPath }

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(
                codingPath: codingPath, debugDescription: "missing required key"))
        }
        return value
    }

    private func path(_ key: Key) -> [any CodingKey] { codingPath + [key] }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key).isNull }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try ValueDecoder.bool(member(key), at: path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try ValueDecoder.string(member(key), at: path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try ValueDecoder.double(member(key), at: path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try ValueDecoder.float(member(key), at: path(key)) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try ValueDecoder.integer(type, member(key), at: path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try ValueDecoder.integer(type, member(key), at: path(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder.decode(type, from: member(key), at: path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(value: member(key), codingPath: path(key), userInfo: decoder.userInfo, rejectUnknownKeys: decoder.rejectUnknownKeys).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: member(key), codingPath: path(key), userInfo: decoder.userInfo, rejectUnknownKeys: decoder.rejectUnknownKeys).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: members["super"] ?? .null, codingPath: codingPath + [StringKey("super")], userInfo: decoder.userInfo, rejectUnknownKeys: decoder.rejectUnknownKeys)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: members[key.stringValue] ?? .null, codingPath: path(key), userInfo: decoder.userInfo, rejectUnknownKeys: decoder.rejectUnknownKeys)
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let decoder: ValueDecoder
    let elements: [JSONValue]
    var currentIndex = 0

    init(decoder: ValueDecoder, elements: [JSONValue]) {
        self.decoder = decoder
        self.elements = elements
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private var path: [any CodingKey] { codingPath + [IndexKey(currentIndex)] }

    /// The next element, advancing past it only once `read` succeeds (as Codable requires).
    private mutating func next<T>(_ type: T.Type, _ read: (JSONValue, [any CodingKey]) throws -> T) throws -> T {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, DecodingError.Context(
                codingPath: path, debugDescription: "expected another element, the array has \(elements.count)"))
        }
        let result = try read(elements[currentIndex], path)
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(JSONValue.self, DecodingError.Context(
                codingPath: path, debugDescription: "expected another element, the array has \(elements.count)"))
        }
        if elements[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type, ValueDecoder.bool) }
    mutating func decode(_ type: String.Type) throws -> String { try next(type, ValueDecoder.string) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type, ValueDecoder.double) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type, ValueDecoder.float) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type) { try ValueDecoder.integer(type, $0, at: $1) } }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = self.decoder
        return try next(type) { try decoder.decode(type, from: $0, at: $1) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let userInfo = decoder.userInfo
        let strict = decoder.rejectUnknownKeys
        return try next(KeyedDecodingContainer<NestedKey>.self) {
            try ValueDecoder(value: $0, codingPath: $1, userInfo: userInfo, rejectUnknownKeys: strict).container(keyedBy: type)
        }
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let userInfo = decoder.userInfo
        let strict = decoder.rejectUnknownKeys
        return try next((any UnkeyedDecodingContainer).self) {
            try ValueDecoder(value: $0, codingPath: $1, userInfo: userInfo, rejectUnknownKeys: strict).unkeyedContainer()
        }
    }

    mutating func superDecoder() throws -> any Decoder {
        let userInfo = decoder.userInfo
        let strict = decoder.rejectUnknownKeys
        return try next((any Decoder).self) { ValueDecoder(value: $0, codingPath: $1, userInfo: userInfo, rejectUnknownKeys: strict) }
    }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let decoder: ValueDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }
    private var value: JSONValue { decoder.value }

    func decodeNil() -> Bool { value.isNull }
    func decode(_ type: Bool.Type) throws -> Bool { try ValueDecoder.bool(value, at: codingPath) }
    func decode(_ type: String.Type) throws -> String { try ValueDecoder.string(value, at: codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try ValueDecoder.double(value, at: codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try ValueDecoder.float(value, at: codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try ValueDecoder.integer(type, value, at: codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try ValueDecoder.integer(type, value, at: codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decoder.decode(type, from: value, at: codingPath)
    }
}
