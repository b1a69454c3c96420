import Testing
import JSONRPC

struct CodingView: Codable, Equatable {
    var width: Int
    var camera: String?
}

enum CodingDevice: String, Codable {
    case cpu, gpu, auto
}

struct CodingParams: Codable, Equatable {
    var session: String
    var timeout_s: Double?
    var device: CodingDevice
    var views: [CodingView]
    var tags: [String: Int]
    var extra: JSONValue?
    var flags: [Bool?]
    var small: Int8
    var big: UInt64
}

struct CodingWrapper: Codable, Equatable {
    var id: RequestID
    var code: ErrorCode
    var number: JSONNumber
}

@Suite struct JSONCodingTests {
    let sample = CodingParams(
        session: "s1", timeout_s: 2.5, device: .gpu,
        views: [CodingView(width: 640, camera: "Cam"), CodingView(width: 32, camera: nil)],
        tags: ["a": 1], extra: ["any": [1, "two"]], flags: [true, nil], small: -5, big: UInt64.max)

    @Test func encodesToJSONValue() throws {
        let value = try JSONValueEncoder().encode(sample)
        #expect(JSON.string(value) == #"{"big":18446744073709551615,"device":"gpu","extra":{"any":[1,"two"]},"flags":[true,null],"#
            + #""session":"s1","small":-5,"tags":{"a":1},"timeout_s":2.5,"views":[{"camera":"Cam","width":640},{"width":32}]}"#)
    }

    @Test func roundTrips() throws {
        let value = try JSONValueEncoder().encode(sample)
        #expect(try JSONValueDecoder().decode(CodingParams.self, from: value) == sample)
        let wrapper = CodingWrapper(id: "abc", code: .timeout, number: JSONNumber(literal: "1.50")!)
        let encoded = try JSONValueEncoder().encode(wrapper)
        #expect(encoded == ["id": "abc", "code": -32004, "number": .number(JSONNumber(literal: "1.50")!)])
        #expect(try JSONValueDecoder().decode(CodingWrapper.self, from: encoded) == wrapper)
        #expect(try JSONValueDecoder().decode(RequestID.self, from: 7) == 7)
        #expect(try JSONValueDecoder().decode(RequestID.self, from: nil) == .null)
    }

    @Test func optionalsMayBeAbsentOrNull() throws {
        let value: JSONValue = ["session": "s", "timeout_s": nil, "device": "cpu", "views": [["width": 1]],
                                "tags": [:], "flags": [], "small": 0, "big": 0]
        let decoded = try JSONValueDecoder().decode(CodingParams.self, from: value)
        #expect(decoded.timeout_s == nil)
        #expect(decoded.extra == nil)
        #expect(decoded.views == [CodingView(width: 1, camera: nil)])
    }

    func failure(_ value: JSONValue) -> JSONDecodingError? {
        do {
            _ = try JSONValueDecoder().decode(CodingParams.self, from: value)
            return nil
        } catch {
            return error
        }
    }

    var valid: [String: JSONValue] {
        ["session": "s", "device": "cpu", "views": [["width": 1]], "tags": [:], "flags": [], "small": 0, "big": 0]
    }

    func with(_ key: String, _ member: JSONValue?) -> JSONValue {
        var members = valid
        members[key] = member
        return .object(members)
    }

    @Test func errorsNameThePath() {
        #expect(failure(with("timeout_s", "x"))?.description == #"timeout_s: expected a number, got "x""#)
        #expect(failure(with("session", nil))?.description == "session: missing required key")
        #expect(failure(with("session", 5))?.description == "session: expected a string, got 5")
        #expect(failure(with("views", [["width": 1], ["width": 1.5]]))?.description == "views[1].width: expected an integer, got 1.5")
        #expect(failure(with("views", [["width": 1], [:]]))?.description == "views[1].width: missing required key")
        #expect(failure(with("views", [["width": 1, "camera": ["x"]]]))?.description == "views[0].camera: expected a string, got an array")
        #expect(failure(with("views", ["width": 1]))?.description == "views: expected an array, got an object")
        #expect(failure(with("tags", ["a": "1"]))?.description == #"tags.a: expected an integer, got "1""#)
        #expect(failure(with("small", 300))?.description == "small: expected an integer in -128...127, got 300")
        #expect(failure(with("big", -1))?.description == "big: expected an integer in 0...18446744073709551615, got -1")
        #expect(failure(with("flags", [true, "no"]))?.description == #"flags[1]: expected a boolean, got "no""#)
        #expect(failure(with("timeout_s", .number(JSONNumber(literal: "1e999")!)))?.reason
            == "expected a number in Double's range, got 1e999")
        #expect(failure([1, 2])?.description == "expected an object, got an array")
        let device = failure(with("device", "gpux"))
        #expect(device?.path == "device")
        #expect(device?.reason.contains("gpux") == true)
    }

    @Test func longStringsAreCutInMessages() {
        let long = String(repeating: "x", count: 100)
        let reason = failure(with("small", .string(long)))?.reason
        #expect(reason == "expected an integer in -128...127, got \"" + String(repeating: "x", count: 40) + "…\""
            || reason == "expected an integer, got \"" + String(repeating: "x", count: 40) + "…\"")
    }

    @Test func refusesNonFiniteNumbers() {
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(["x": Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Float.infinity]) }
    }

    @Test func encodesScalarsAndCollections() throws {
        let encoder = JSONValueEncoder()
        #expect(try encoder.encode(5) == 5)
        #expect(try encoder.encode("s") == "s")
        #expect(try encoder.encode([1, 2]) == [1, 2])
        #expect(try encoder.encode(["k": true]) == ["k": true])
        #expect(try encoder.encode(Optional<Int>.none) == nil)
        #expect(try encoder.encode(JSONValue.array([nil])) == [nil])
        #expect(try encoder.encode(UInt8(200)) == 200)
    }

    /// Hand-written Codable with nested keyed and unkeyed containers.
    struct Nested: Codable, Equatable {
        var a: Int
        var list: [Int]

        enum CodingKeys: String, CodingKey { case a, inner }
        enum InnerKeys: String, CodingKey { case list }

        init(a: Int, list: [Int]) {
            self.a = a
            self.list = list
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            a = try container.decode(Int.self, forKey: .a)
            let inner = try container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
            var list = try inner.nestedUnkeyedContainer(forKey: .list)
            var values: [Int] = []
            while !list.isAtEnd { values.append(try list.decode(Int.self)) }
            self.list = values
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(a, forKey: .a)
            var inner = container.nestedContainer(keyedBy: InnerKeys.self, forKey: .inner)
            var list = inner.nestedUnkeyedContainer(forKey: .list)
            for value in self.list { try list.encode(value) }
        }
    }

    @Test func nestedContainers() throws {
        let value = Nested(a: 1, list: [2, 3])
        let encoded = try JSONValueEncoder().encode(value)
        #expect(encoded == ["a": 1, "inner": ["list": [2, 3]]])
        #expect(try JSONValueDecoder().decode(Nested.self, from: encoded) == value)
        do {
            _ = try JSONValueDecoder().decode(Nested.self, from: ["a": 1, "inner": ["list": [2, "x"]]])
            Issue.record("accepted")
        } catch {
            #expect(error.description == #"inner.list[1]: expected an integer, got "x""#)
        }
    }

    @Test func decodingErrorMapping() {
        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int?
            init(_ s: String) { stringValue = s }
            init?(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { return nil }
        }
        let error = DecodingError.dataCorrupted(.init(codingPath: [Key("a"), Key("b")], debugDescription: "bad"))
        #expect(JSONDecodingError(error) == JSONDecodingError(path: "a.b", reason: "bad"))
    }
}
