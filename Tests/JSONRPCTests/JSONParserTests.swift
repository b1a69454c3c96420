import Testing
@testable import JSONRPC

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSON.parse(#" { "a" : [1, -2.5e3, true, false, null, "x"], "b": {}, "c": [] } "#)
        #expect(value == .object([
            "a": .array([1, .number(JSONNumber(literal: "-2.5e3")!), true, false, nil, "x"]),
            "b": .object([:]),
            "c": .array([]),
        ]))
    }

    @Test(arguments: [
        "", " ", "[1,]", "{\"a\":1,}", "[1 2]", "01", "-01", "1.", ".5", "+1", "1e", "1e+", "NaN", "Infinity",
        "-Infinity", "[nul]", "tru", "\"abc", "\"a\u{01}b\"", "\"\\x\"", "\"\\u12G4\"", "{\"a\"}", "{1:2}",
        "[1]]", "{} {}", "[1] x", "'a'", "[\u{0C}]", "\u{FEFF}{}", "[0x10]", "[-]", "[1e5.1]", "{\"a\":1 \"b\":2}",
    ])
    func rejectsWhatRFC8259Rejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        for raw: [UInt8] in [
            [0x22, 0xFF, 0x22],                 // invalid lead byte
            [0x22, 0x80, 0x22],                 // lone continuation
            [0x22, 0xC0, 0xAF, 0x22],           // overlong '/'
            [0x22, 0xE0, 0x80, 0xAF, 0x22],     // overlong 3-byte
            [0x22, 0xED, 0xA0, 0x80, 0x22],     // UTF-8-encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], // above U+10FFFF
            [0x22, 0xE2, 0x82, 0x22],           // truncated sequence
            [0x5B, 0xC3, 0x5D],                 // non-ASCII outside a string
        ] {
            #expect(throws: JSONParseError.self, "\(raw)") { try JSON.parse(raw) }
        }
    }

    @Test func acceptsValidUTF8AndEscapes() throws {
        #expect(try JSON.parse(#""h\u00e9llo \ud83d\ude00 é 😀 \n\t\"\\\/ \b\f\r""#)
            == .string("héllo 😀 é 😀 \n\t\"\\/ \u{08}\u{0C}\r"))
        #expect(try JSON.parse(#""\u0000""#) == .string("\u{0}"))
    }

    /// Documented choice: a lone surrogate escape decodes to U+FFFD rather than failing.
    @Test func loneSurrogatesAreRejected() throws {
        for text in [#""\ud800""#, #""\udc00x""#, #""\ud800\ud800\udc00""#, #""\ud800\n""#, #""\ud800\u0041""#] {
            #expect(throws: JSONParseError(.loneSurrogate, at: 1), "\(text)") { try JSON.parse(text) }
        }
        // A proper pair still decodes, and the escape after a high surrogate must be well-formed.
        #expect(try JSON.parse(#""\ud83d\ude00""#) == .string("\u{1F600}"))
        #expect(throws: JSONParseError.self) { try JSON.parse(#""\ud800\u12""#) }
    }

    @Test func numbersKeepTheirLiteralText() throws {
        for literal in ["0", "-0", "1.0", "1.50", "1e2", "1E+2", "-0.0e-0", "12345678901234567890", "3.141592653589793238462643"] {
            let value = try JSON.parse(literal)
            #expect(value.numberValue?.text == literal)
            #expect(JSON.string(value) == literal)
        }
    }

    @Test(arguments: [
        ("0", 0), ("-0", 0), ("42", 42), ("-42", -42), ("3.0", 3), ("3e2", 300), ("1.5e1", 15), ("120e-1", 12),
        ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min), ("0.0e5", 0), ("100e-2", 1),
    ])
    func exactIntegers(_ literal: String, _ expected: Int) throws {
        #expect(try JSON.parse(literal).intValue == expected)
    }

    @Test(arguments: ["1.5", "1e-2", "9223372036854775808", "-9223372036854775809", "1e400", "0.1e1000000000"])
    func notExactIntegers(_ literal: String) throws {
        #expect(try JSON.parse(literal).intValue == nil)
    }

    @Test func doubles() throws {
        #expect(try JSON.parse("1.5").doubleValue == 1.5)
        #expect(try JSON.parse("-2e-3").doubleValue == -0.002)
        #expect(try JSON.parse("1e400").doubleValue == .infinity)
        #expect(try JSON.parse("12").doubleValue == 12)
    }

    @Test func equalityIsOnTheLiteral() throws {
        #expect(try JSON.parse("1") == .number(JSONNumber(1)))
        #expect(try JSON.parse("1") != JSON.parse("1.0"))
        #expect(JSONNumber(literal: "7") == JSONNumber(7))
        #expect(JSONNumber(literal: "07") == nil)
        #expect(JSONNumber(literal: " 7") == nil)
        #expect(JSONNumber(literal: "-0")?.text == "-0")
    }

    @Test func depthLimit() throws {
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        let deep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        #expect(throws: Never.self) { try JSON.parse(ok) }
        do {
            _ = try JSON.parse(deep)
            Issue.record("129 levels accepted")
        } catch {
            #expect(error.isDepthLimit)
            #expect(error.reason == .tooDeep(limit: 128))
        }
        #expect(throws: JSONParseError.self) { try JSON.parse("{\"a\":{\"b\":1}}", maxDepth: 1) }
        #expect(try JSON.parse("{\"a\":1}", maxDepth: 1) == ["a": 1])
        // Far past the clamp: rejected, not a stack overflow.
        let hostile = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(hostile, maxDepth: .max) }
    }

    @Test func duplicateKeysAreRejected() throws {
        #expect(throws: JSONParseError.self) { try JSON.parse(#"{"a":1,"a":2}"#) }
        #expect(throws: JSONParseError.self) { try JSON.parse(#"[{"b":{"a":1,"a":1}}]"#) }
        do {
            _ = try JSON.parse(#"{"a":1,"a":2}"#)
        } catch {
            #expect(error.reason == .duplicateKey("a"))
        }
        // Same name at different levels is fine.
        #expect(try JSON.parse(#"{"a":{"a":1}}"#) == ["a": ["a": 1]])
    }

    @Test func errorsSayWhatAndWhere() {
        do {
            _ = try JSON.parse("[1,]")
            Issue.record("accepted")
        } catch {
            #expect(error == JSONParseError(.unexpectedByte(UInt8(ascii: "]")), at: 3))
            #expect(error.description == "unexpected ']' (0x5D) at offset 3")
        }
        #expect(JSONParseError(.trailingData, at: 2).description == "unexpected data after the JSON value at offset 2")
        #expect(JSONParseError(.controlCharacterInString(0x0A), at: 1).description
            == "unescaped control character byte 0x0A in string at offset 1")
    }

    @Test func parsesFromRawBuffer() throws {
        let data = bytes(#"{"id":7}"#)
        let value = try data.withUnsafeBytes { try JSON.parse($0) }
        #expect(value == ["id": 7])
        #expect(throws: JSONParseError(.emptyInput, at: 0)) { try JSON.parse(UnsafeRawBufferPointer(start: nil, count: 0)) }
    }

    @Test func accessors() throws {
        let value = try JSON.parse(#"{"s":"x","n":2,"b":true,"a":[1],"o":{},"z":null}"#)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["n"]?.intValue == 2)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?[0] == 1)
        #expect(value["a"]?[1] == nil)
        #expect(value["o"]?.objectValue == [:])
        #expect(value["z"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["a"]?.arrayValue?.count == 1)
        #expect(value.description == #"{"a":[1],"b":true,"n":2,"o":{},"s":"x","z":null}"#)
    }
}
