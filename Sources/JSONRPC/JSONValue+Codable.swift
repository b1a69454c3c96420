// JSONValue, JSONNumber and friends as Codable, so a params/result type can hold "any JSON"
// (e.g. a script's return value). With JSONValueEncoder/Decoder the value passes through
// untouched (number literals included); other coders get a best-effort mapping.

extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        if let direct = decoder as? ValueDecoder {
            self = direct.value
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var elements: [JSONValue] = []
            while !array.isAtEnd { elements.append(try array.decode(JSONValue.self)) }
            self = .array(elements)
            return
        }
        if let object = try? decoder.container(keyedBy: StringKey.self) {
            var members: [String: JSONValue] = [:]
            for key in object.allKeys { members[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(members)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let flag = try? single.decode(Bool.self) {
            self = .bool(flag)
        } else if let int = try? single.decode(Int.self) {
            self = .number(JSONNumber(int))
        } else if let double = try? single.decode(Double.self) {
            self = .number(JSONNumber(double))
        } else {
            self = .string(try single.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if let direct = encoder as? ValueEncoder {
            direct.node.content = .value(self)
            return
        }
        switch self {
        case .null:
            var single = encoder.singleValueContainer()
            try single.encodeNil()
        case .bool(let flag):
            var single = encoder.singleValueContainer()
            try single.encode(flag)
        case .number(let number):
            try number.encode(to: encoder)
        case .string(let string):
            var single = encoder.singleValueContainer()
            try single.encode(string)
        case .array(let elements):
            var array = encoder.unkeyedContainer()
            for element in elements { try array.encode(element) }
        case .object(let members):
            var object = encoder.container(keyedBy: StringKey.self)
            for (key, member) in members { try object.encode(member, forKey: StringKey(key)) }
        }
    }
}

extension JSONNumber: Codable {
    public init(from decoder: any Decoder) throws {
        if let direct = decoder as? ValueDecoder {
            guard case .number(let number) = direct.value else {
                throw ValueDecoder.mismatch(expected: "a number", got: direct.value, at: direct.codingPath, type: JSONNumber.self)
            }
            self = number
            return
        }
        let single = try decoder.singleValueContainer()
        if let int = try? single.decode(Int.self) {
            self.init(int)
        } else {
            self.init(try single.decode(Double.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if let direct = encoder as? ValueEncoder {
            direct.node.content = .value(.number(self))
            return
        }
        var single = encoder.singleValueContainer()
        if let int {
            try single.encode(int)
        } else {
            try single.encode(double)
        }
    }
}
