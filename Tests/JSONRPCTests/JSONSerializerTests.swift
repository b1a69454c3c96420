import Testing
import JSONRPC

@Suite struct JSONSerializerTests {
    @Test func compactWithSortedKeys() {
        let value: JSONValue = ["b": [1, 2, ["z": nil, "a": false]], "a": "x", "c": 1.5]
        #expect(JSON.string(value) == #"{"a":"x","b":[1,2,{"a":false,"z":null}],"c":1.5}"#)
    }

    @Test func escapesOnlyWhatMustBeEscaped() {
        let value: JSONValue = .string("q\"b\\s/ \n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{7F} é 😀 \u{2028}")
        #expect(JSON.string(value) == "\"q\\\"b\\\\s/ \\n\\r\\t\\b\\f\\u0001\\u001f\u{7F} é 😀 \u{2028}\"")
        // Never a raw newline: each message fits on one line of newline-delimited framing.
        #expect(!JSON.encode(value).contains(0x0A))
    }

    @Test func integers() {
        for n in [0, 1, -1, 9, 10, -10, 123_456_789, Int.max, Int.min] {
            #expect(JSON.string(.number(JSONNumber(n))) == String(n))
        }
    }

    @Test func doublesUseShortestForm() {
        #expect(JSON.string(0.1) == "0.1")
        #expect(JSON.string(100.0) == "100.0")
        #expect(JSON.string(.number(JSONNumber(1e-5))) == "1e-05")
        // Non-finite numbers cannot be JSON; they are written as null, like JSON.stringify.
        #expect(JSON.string(.number(JSONNumber(Double.nan))) == "null")
        #expect(JSON.string(.number(JSONNumber(-Double.infinity))) == "null")
    }

    @Test func serializeAppends() {
        var out = bytes("x=")
        JSON.serialize(["k": [true]], into: &out)
        #expect(out == bytes(#"x={"k":[true]}"#))
    }

    @Test func randomValuesRoundTrip() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let value = Self.randomValue(&rng, depth: 0)
            let encoded = JSON.encode(value)
            #expect(try JSON.parse(encoded) == value)
            // Deterministic: encoding again gives the same bytes.
            #expect(JSON.encode(try JSON.parse(encoded)) == encoded)
        }
    }

    static func randomValue(_ rng: inout SplitMix64, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .number(JSONNumber(Int.random(in: Int.min...Int.max, using: &rng)))
        case 3: return .number(JSONNumber(Double.random(in: -1e6...1e6, using: &rng)))
        case 4: return .string(randomString(&rng))
        case 5: return .array((0..<Int.random(in: 0..<5, using: &rng)).map { _ in randomValue(&rng, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<5, using: &rng) { members[randomString(&rng)] = randomValue(&rng, depth: depth + 1) }
            return .object(members)
        }
    }

    static func randomString(_ rng: inout SplitMix64) -> String {
        let alphabet: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\u{0}", "\u{1F}", "é", "€", "😀", "\u{FFFD}"]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<12, using: &rng) {
            scalars.append(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)])
        }
        return String(scalars)
    }
}
