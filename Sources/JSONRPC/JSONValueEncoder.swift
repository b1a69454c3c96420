// Codable → JSONValue, directly.
//
// Typed method results are encoded into a JSONValue that is then written into the response
// envelope; going through Data and JSONSerialization would cost a serialize/parse round trip per
// reply and lose number literals. Keys are used exactly as the types' CodingKeys spell them
// (blenderd's wire names are snake_case; there is no key strategy to keep in sync).

/// Encodes `Encodable` values as `JSONValue`.
public struct JSONValueEncoder {
    public var userInfo: [CodingUserInfoKey: Any] = [:]

    public init() {}

    /// Throws `EncodingError.invalidValue` for non-finite floating-point values (JSON has none).
    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let root = EncodingNode()
        let encoder = ValueEncoder(node: root, codingPath: [], userInfo: userInfo)
        try value.encode(to: encoder)
        return root.value() ?? .object([:])
    }
}

/// One value under construction. Containers hand out child nodes so nested encoders can keep
/// writing after the container call returns, as Codable allows.
final class EncodingNode {
    enum Content {
        case unset
        case value(JSONValue)
        /// Members in encoding order; a key encoded twice keeps its last value. A list rather
        /// than a dictionary: keys are hashed once, when the final object is built.
        case object([(String, EncodingNode)])
        case array([EncodingNode])
    }

    var content: Content = .unset

    init() {}

    init(_ value: JSONValue) {
        content = .value(value)
    }

    /// nil while nothing was encoded (an encoder that wrote nothing).
    func value() -> JSONValue? {
        switch content {
        case .unset:
            return nil
        case .value(let value):
            return value
        case .object(let members):
            var result = [String: JSONValue](minimumCapacity: members.count)
            for (key, node) in members { result[key] = node.value() ?? .object([:]) }
            return .object(result)
        case .array(let elements):
            return .array(elements.map { $0.value() ?? .object([:]) })
        }
    }
}

struct IndexKey: CodingKey {
    var stringValue: String { String(intValue ?? 0) }
    var intValue: Int?

    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { return nil }
    init?(intValue: Int) { self.intValue = intValue }
}

struct StringKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }
}

final class ValueEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]

    init(node: EncodingNode, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.node = node
        self.codingPath = codingPath
        self.userInfo = userInfo
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // Asking twice (e.g. a subclass and its superclass) must share one object.
        if case .object = node.content {} else { node.content = .object([]) }
        return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(encoder: self)
    }

    /// Encodes `value` into `target`: scalars directly, everything else through a nested encoder.
    func encode<T: Encodable>(_ value: T, into target: EncodingNode, at path: [any CodingKey]) throws {
        if let json = try Self.scalar(value, codingPath: path) {
            target.content = .value(json)
            return
        }
        try value.encode(to: ValueEncoder(node: target, codingPath: path, userInfo: userInfo))
    }

    /// The JSON for values with a direct representation; nil for types that encode themselves.
    static func scalar<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> JSONValue? {
        switch value {
        case let json as JSONValue: return json
        case let string as String: return .string(string)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .number(JSONNumber(number))
        case let number as Double: return try float(number, codingPath: codingPath)
        case let number as JSONNumber: return .number(number)
        default: return nil
        }
    }

    static func float(_ value: Double, codingPath: [any CodingKey]) throws -> JSONValue {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, EncodingError.Context(
                codingPath: codingPath, debugDescription: "\(value) cannot be represented in JSON"))
        }
        return .number(JSONNumber(value))
    }

    static func integer<T: BinaryInteger>(_ value: T) -> JSONValue {
        if let small = Int(exactly: value) { return .number(JSONNumber(small)) }
        // UInt64 above Int.max: keep the exact decimal literal.
        return .number(JSONNumber(literal: String(value)) ?? JSONNumber(Double(value)))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: ValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ value: JSONValue, for key: Key) {
        setNode(EncodingNode(value), for: key)
    }

    private func setNode(_ child: EncodingNode, for key: Key) {
        setNode(child, named: key.stringValue)
    }

    private func setNode(_ child: EncodingNode, named name: String) {
        guard case .object(var members) = encoder.node.content else { return }
        // Release the node's copy before mutating so the dictionary is not copied on write.
        encoder.node.content = .unset
        members.append((name, child))
        encoder.node.content = .object(members)
    }

    mutating func encodeNil(forKey key: Key) throws { set(.null, for: key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), for: key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), for: key) }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        set(try ValueEncoder.float(value, codingPath: codingPath + [key]), for: key)
    }
    mutating func encode(_ value: Float, forKey key: Key) throws {
        set(try ValueEncoder.float(Double(value), codingPath: codingPath + [key]), for: key)
    }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(.number(JSONNumber(value)), for: key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(ValueEncoder.integer(value), for: key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        let child = EncodingNode()
        setNode(child, for: key)
        try encoder.encode(value, into: child, at: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let child = EncodingNode()
        setNode(child, for: key)
        return ValueEncoder(node: child, codingPath: codingPath + [key], userInfo: encoder.userInfo)
            .container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = EncodingNode()
        setNode(child, for: key)
        return ValueEncoder(node: child, codingPath: codingPath + [key], userInfo: encoder.userInfo)
            .unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let child = EncodingNode()
        setNode(child, named: "super")
        return ValueEncoder(node: child, codingPath: codingPath + [StringKey("super")], userInfo: encoder.userInfo)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = EncodingNode()
        setNode(child, for: key)
        return ValueEncoder(node: child, codingPath: codingPath + [key], userInfo: encoder.userInfo)
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: ValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    var count: Int {
        if case .array(let elements) = encoder.node.content { return elements.count }
        return 0
    }

    private func append(_ child: EncodingNode) {
        guard case .array(var elements) = encoder.node.content else { return }
        encoder.node.content = .unset
        elements.append(child)
        encoder.node.content = .array(elements)
    }

    private var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }

    mutating func encodeNil() throws { append(EncodingNode(.null)) }
    mutating func encode(_ value: Bool) throws { append(EncodingNode(.bool(value))) }
    mutating func encode(_ value: String) throws { append(EncodingNode(.string(value))) }
    mutating func encode(_ value: Double) throws { append(EncodingNode(try ValueEncoder.float(value, codingPath: nextPath))) }
    mutating func encode(_ value: Float) throws { append(EncodingNode(try ValueEncoder.float(Double(value), codingPath: nextPath))) }
    mutating func encode(_ value: Int) throws { append(EncodingNode(.number(JSONNumber(value)))) }
    mutating func encode(_ value: Int8) throws { append(EncodingNode(ValueEncoder.integer(value))) }
    mutating func encode(_ value: Int16) throws { append(EncodingNode(ValueEncoder.integer(value))) }
    mutating func encode(_ value: Int32) throws { append(EncodingNode(ValueEncoder.integer(value))) }
    mutating func encode(_ value: Int64) throws { append(EncodingNode(ValueEncoder.integer(value))) }
    mutating func encode(_ value: UInt) throws { append(EncodingNode(ValueEncoder.integer(value))) }
    mutating func encode(_ value: UInt8) throws { append(EncodingNode(ValueEncoder.integer(value))) }
    mutating func encode(_ value: UInt16) throws { append(EncodingNode(ValueEncoder.integer(value))) }
    mutating func encode(_ value: UInt32) throws { append(EncodingNode(ValueEncoder.integer(value))) }
    mutating func encode(_ value: UInt64) throws { append(EncodingNode(ValueEncoder.integer(value))) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let path = nextPath
        let child = EncodingNode()
        append(child)
        try encoder.encode(value, into: child, at: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = nextPath
        let child = EncodingNode()
        append(child)
        return ValueEncoder(node: child, codingPath: path, userInfo: encoder.userInfo).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath
        let child = EncodingNode()
        append(child)
        return ValueEncoder(node: child, codingPath: path, userInfo: encoder.userInfo).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath
        let child = EncodingNode()
        append(child)
        return ValueEncoder(node: child, codingPath: path, userInfo: encoder.userInfo)
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: ValueEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ value: JSONValue) { encoder.node.content = .value(value) }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.string(value)) }
    mutating func encode(_ value: Double) throws { set(try ValueEncoder.float(value, codingPath: codingPath)) }
    mutating func encode(_ value: Float) throws { set(try ValueEncoder.float(Double(value), codingPath: codingPath)) }
    mutating func encode(_ value: Int) throws { set(.number(JSONNumber(value))) }
    mutating func encode(_ value: Int8) throws { set(ValueEncoder.integer(value)) }
    mutating func encode(_ value: Int16) throws { set(ValueEncoder.integer(value)) }
    mutating func encode(_ value: Int32) throws { set(ValueEncoder.integer(value)) }
    mutating func encode(_ value: Int64) throws { set(ValueEncoder.integer(value)) }
    mutating func encode(_ value: UInt) throws { set(ValueEncoder.integer(value)) }
    mutating func encode(_ value: UInt8) throws { set(ValueEncoder.integer(value)) }
    mutating func encode(_ value: UInt16) throws { set(ValueEncoder.integer(value)) }
    mutating func encode(_ value: UInt32) throws { set(ValueEncoder.integer(value)) }
    mutating func encode(_ value: UInt64) throws { set(ValueEncoder.integer(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encoder.encode(value, into: encoder.node, at: codingPath)
    }
}
