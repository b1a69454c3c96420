import Foundation
import Testing
@testable import JSONRPC

/// Validation without a tree (JSONParser+Validation.swift) must accept exactly what the tree
/// parser accepts: a worker's reply is forwarded on its verdict. Checked on hand-picked edge
/// cases, on JSONTestSuite, and on random mutations of realistic bodies.
@Suite struct RawJSONTests {
    static func parserAccepts(_ bytes: [UInt8], maxDepth: Int = JSON.defaultMaxDepth) -> Bool {
        (try? JSON.parse(bytes, maxDepth: maxDepth)) != nil
    }

    static func validatorAccepts(_ bytes: [UInt8], maxDepth: Int = JSON.defaultMaxDepth) -> Bool {
        (try? RawJSON(validating: bytes, maxDepth: maxDepth)) != nil
    }

    /// Same verdict, and for accepted input the same value, without raw line breaks. Returns
    /// the tree parser's verdict.
    @discardableResult
    static func checkAgreement(_ input: [UInt8], maxDepth: Int = JSON.defaultMaxDepth,
                               sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let tree = try? JSON.parse(input, maxDepth: maxDepth)
        let raw = try? RawJSON(validating: input, maxDepth: maxDepth)
        #expect((tree != nil) == (raw != nil), "\(String(decoding: input, as: UTF8.self).debugDescription)",
                sourceLocation: sourceLocation)
        if let tree, let raw {
            #expect(raw.value == tree, sourceLocation: sourceLocation)
            #expect(!raw.bytes.contains(0x0A) && !raw.bytes.contains(0x0D), sourceLocation: sourceLocation)
        }
        return tree != nil
    }

    static let edgeCases: [String] = [
        "", " ", "null", " true ", "false", "0", "-0", "01", "-01", "1.", ".5", "1e", "1e+", "1E-2", "-", "--1", "2.5e400",
        "\"\"", "\"a\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\ud800\\udc00\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\x\"",
        "\"\\u12\"", "\"\\u12G4\"", "\"tab\there\"", "\"a\\\"b\"", "\"\\/\"", "\"unterminated", "\"\\", "\"\\u",
        "\u{FEFF}{}", "{}", "{ }", "{\n}", "[]", "[ ]", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{1:1}",
        "{\"a\":1}x", "[1] [2]", "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "{\"K\":1,\"\u{212A}\":2}",
        "{\"é\":1,\"e\u{0301}\":2}", "{\"a\":{\"b\":1,\"b\":2}}", "{\"a\":{\"b\":1},\"b\":{\"a\":1}}",
        "{\"a\":[{\"x\":1},{\"x\":2}]}", "[{\"x\":1,\"x\":1}]", "\"\u{7F}\"", "\"caf\u{E9}\"", "\"\u{1F600}\"",
        "{\"stdout\":\"objects: 1\\n\",\"stderr\":\"\",\"changes\":{},\"reports\":[],\"duration_ms\":0.677}",
        "{\n  \"a\": [1, 2,\r\n 3],\n  \"b\": \"x y\"\n}", "\t[\n1\n]\t",
    ]

    @Test func edgeCasesAgree() {
        for text in Self.edgeCases { Self.checkAgreement(Array(text.utf8)) }
        // Bytes that are not UTF-8 at all, or not well-formed UTF-8.
        for bad: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
                             [0x22, 0xE2, 0x82, 0x22], [0x22, 0xC3, 0xA9, 0x22], [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22], [0x22, 0x01, 0x22]] {
            Self.checkAgreement(bad)
        }
    }

    @Test func duplicateKeysInLargeObjectsAreFound() {
        // Past 16 members the validator switches to a set of keys: a duplicate at any position.
        for size in [15, 16, 17, 40] {
            let members = (0..<size).map { "\"k\($0)\":\($0)" }
            Self.checkAgreement(Array(("{" + members.joined(separator: ",") + "}").utf8))
            for duplicate in [0, size / 2, size - 1] {
                let text = "{" + (members + ["\"k\(duplicate)\":0"]).joined(separator: ",") + "}"
                Self.checkAgreement(Array(text.utf8))
                #expect(!Self.validatorAccepts(Array(text.utf8)))
            }
        }
        // An escaped key late in a large object that duplicates a plain one.
        let members = (0..<20).map { "\"k\($0)\":\($0)" } + ["\"\\u006b3\":1"]
        Self.checkAgreement(Array(("{" + members.joined(separator: ",") + "}").utf8))
    }

    @Test func depthLimitIsTheSame() {
        for depth in [1, 2, 5, 127, 128, 129] {
            let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let objects = String(repeating: "{\"a\":", count: depth) + "1" + String(repeating: "}", count: depth)
            for limit in [1, 5, 128] {
                Self.checkAgreement(Array(text.utf8), maxDepth: limit)
                Self.checkAgreement(Array(objects.utf8), maxDepth: limit)
            }
        }
    }

    @Test(.enabled(if: JSONTestSuiteTests.available, "JSONTestSuite not found; skipped"))
    func jsonTestSuiteAgrees() throws {
        for prefix in ["y_", "n_", "i_"] {
            for file in try JSONTestSuiteTests.files(prefix: prefix) { Self.checkAgreement(file.bytes) }
        }
    }

    /// Random byte edits of realistic bodies (a worker's reply, a client's request), so the walk
    /// meets truncations, stray bytes and broken escapes everywhere.
    @Test func randomMutationsAgree() {
        let seeds: [String] = [
            #"{"jsonrpc":"2.0","id":7,"result":{"stdout":"objects: 3\nok \"q\" \\ é 😀\n","stderr":"","value":[1,2.5,-3e2,true,null],"changes":{"added":["Cube"],"modified":{}},"duration_ms":0.5}}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"script.exec","params":{"session":"s0123","code":"import bpy\nprint(\"\\u00e9\\ud83d\\ude00\")\n","timeout_s":30}}"#,
            #"{"jsonrpc":"2.0","id":"x","error":{"code":-32010,"message":"Script error","data":{"type":"NameError","line":3,"traceback":["a","b"]}}}"#,
        ]
        var generator = SplitMix64(seed: 0x5EED)
        let interesting: [UInt8] = Array("{}[]\",:\\u0123456789abcdefEe.-+ntrfl\n\r\t ".utf8) + [0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xFF]
        var accepted = 0
        for round in 0..<20_000 {
            var bytes = Array(seeds[round % seeds.count].utf8)
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[position] = interesting.randomElement(using: &generator)!
                case 1: bytes.insert(interesting.randomElement(using: &generator)!, at: position)
                case 2: bytes.remove(at: position)
                default: bytes.removeSubrange(position...)  // truncation
                }
                if bytes.isEmpty { break }
            }
            if Self.checkAgreement(bytes) { accepted += 1 }
            // The response fast path agrees with the full classification whenever it answers.
            ResponseParsingTests.checkResponseAgreement(bytes)
        }
        // Both verdicts are well represented (mutations that keep the JSON valid are common).
        #expect(accepted > 1_000 && accepted < 19_000, "\(accepted) of 20000 accepted")
    }

    @Test func lineBreaksBetweenTokensAreRemoved() throws {
        let raw = try RawJSON(validating: Array("\r\n { \"a\" : [ 1 ,\n 2 ] ,\n \"b\" : \"x  y\" } \n".utf8))
        #expect(raw.text == #"{"a":[1,2],"b":"x  y"}"#)
        // Spaces alone are harmless in any framing and kept (no copy-and-compact pass).
        #expect(try RawJSON(validating: Array(#" {"a": 1} "#.utf8)).text == #"{"a": 1}"#)
    }

    @Test func settingMembers() throws {
        func raw(_ text: String) throws -> RawJSON { try RawJSON(validating: Array(text.utf8)) }
        let result = try raw(#"{"stdout":"x","checkpoint":null,"duration_ms":1.5}"#)
        let set = result.settingMembers(["checkpoint": "c3", "restored": true])
        #expect(set.text == #"{"stdout":"x","checkpoint":"c3","duration_ms":1.5,"restored":true}"#)
        #expect(set.value == ["stdout": "x", "checkpoint": "c3", "duration_ms": 1.5, "restored": true])
        #expect(try raw("{}").settingMember("checkpoint", "c1").text == #"{"checkpoint":"c1"}"#)
        #expect(try raw("{ }").settingMember("checkpoint", "c1").value == ["checkpoint": "c1"])
        #expect(try raw(#"{ "a" : 1 }"#).settingMember("b", [1, 2]).value == ["a": 1, "b": [1, 2]])
        #expect(try raw(#"{"a":{"checkpoint":1}}"#).settingMember("checkpoint", .null).value == ["a": ["checkpoint": 1], "checkpoint": .null])
        #expect(try raw(#"{"\u0061":1}"#).settingMember("a", 2).value == ["a": 2], "keys compare decoded")
        #expect(try raw("[1]").settingMember("a", 1).text == "[1]", "not an object: unchanged")
        #expect(try raw(#""s""#).settingMember("a", 1).text == #""s""#)
        // The result is still valid JSON by the strict rules.
        #expect(throws: Never.self) { try JSON.parse(set.bytes) }
    }

    @Test func memberLookup() throws {
        let raw = try RawJSON(validating: Array(#"{"a":[1,{"b":2}],"checkpoint":"c2","s":"x\"y"}"#.utf8))
        #expect(raw.member("a")?.text == #"[1,{"b":2}]"#)
        #expect(raw.member("checkpoint")?.value == "c2")
        #expect(raw.member("s")?.value == "x\"y")
        #expect(raw.member("b") == nil)
        #expect(RawJSON(JSONValue.array([1])).member("a") == nil)
        // Escaped and non-ASCII keys compare as decoded Strings.
        let escaped = try RawJSON(validating: Array(#"{"\u0063heckpoint":1,"café":2,"K":3}"#.utf8))
        #expect(["checkpoint", "café", "cafe\u{0301}", "\u{212A}", "x"].map { escaped.member($0)?.value } == [1, 2, 2, 3, nil])
    }

    /// Member lookup and setting walk the text without a parser: checked against the tree on
    /// random objects (nested values, strings with quotes, brackets and escapes, random spacing).
    @Test func memberWalkAgreesWithTheTree() throws {
        var generator = SplitMix64(seed: 7)
        func string() -> String {
            let pieces = ["a", "}", "]", "{", "[", "\"", "\\", ",", ":", " ", "é", "\n", "\u{1}", "x y"]
            return (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
        }
        func value(_ depth: Int) -> JSONValue {
            switch Int.random(in: 0..<(depth > 2 ? 4 : 7), using: &generator) {
            case 0: return .null
            case 1: return .bool(Bool.random(using: &generator))
            case 2: return .number(JSONNumber(Int.random(in: -1000...1000, using: &generator)))
            case 3: return .string(string())
            case 4: return .array((0..<Int.random(in: 0...3, using: &generator)).map { _ in value(depth + 1) })
            default:
                var members: [String: JSONValue] = [:]
                for _ in 0..<Int.random(in: 0...3, using: &generator) { members[string()] = value(depth + 1) }
                return .object(members)
            }
        }
        /// Compact JSON with random whitespace after structural characters.
        func spaced(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            var inString = false, escaped = false
            for byte in bytes {
                out.append(byte)
                if inString {
                    if escaped { escaped = false } else if byte == 0x5C { escaped = true } else if byte == 0x22 { inString = false }
                } else if byte == 0x22 {
                    inString = true
                } else if [0x7B, 0x5B, 0x2C, 0x3A].contains(byte), Bool.random(using: &generator) {
                    out.append(contentsOf: [0x20, 0x09].prefix(Int.random(in: 1...2, using: &generator)))
                }
            }
            return out
        }
        for _ in 0..<2_000 {
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...6, using: &generator) { members[string()] = value(0) }
            let raw = try RawJSON(validating: spaced(JSON.encode(.object(members))))
            let keys = Array(members.keys) + ["missing", "checkpoint"]
            #expect(keys.map { raw.member($0)?.value } == keys.map { members[$0] })
            let set = raw.settingMembers(["checkpoint": "c1", (members.keys.first ?? "k"): 5])
            var expected = members
            expected["checkpoint"] = "c1"
            expected[members.keys.first ?? "k"] = 5
            #expect(try JSON.parse(set.bytes) == .object(expected))
            // One member set, present or not, as a value or as text.
            for key in keys {
                var one = members
                one[key] = 5
                #expect(try JSON.parse(raw.settingMember(key, 5).bytes) == .object(one))
                #expect(try JSON.parse(raw.settingMember(key, raw: RawJSON(.number(5))).bytes) == .object(one))
            }
            // Every member, keys decoded, values as their own text.
            let listed = try #require(raw.objectMembers())
            #expect(listed.count == members.count)
            #expect(Dictionary(listed.map { ($0.key, $0.value.value) }, uniquingKeysWith: { first, _ in first }) == members)
        }
        #expect(RawJSON(JSONValue.array([1])).objectMembers() == nil)
        #expect(try RawJSON(validating: Array(#"{"\u0063ode":1}"#.utf8)).objectMembers()?.map(\.key) == ["code"])
    }

    @Test func objectFromMemberTexts() throws {
        let code = try RawJSON(validating: Array(#""print(\"é\")\n""#.utf8))
        let object = RawJSON(object: ["code": code, "capture_limit": RawJSON(.number(5)), "a\"b": RawJSON(.null)])
        #expect(object.text == #"{"code":"print(\"é\")\n","capture_limit":5,"a\"b":null}"#)
        #expect(object.value == ["code": "print(\"é\")\n", "capture_limit": 5, "a\"b": .null])
        #expect(RawJSON(object: [:]).text == "{}")
    }

    @Test func fromValue() {
        let value: JSONValue = ["b": [1, "two", .null], "a": true]
        #expect(RawJSON(value).text == #"{"a":true,"b":[1,"two",null]}"#)
        #expect(RawJSON(value).value == value)
    }
}

/// A fast parse (`parseResponse`, `parseRequest`) against `Message.parse`: the same message when
/// the full parser reads one of that kind, nil (the fast path declines) otherwise.
func expectFastPathAgrees<T: Equatable>(_ fast: T?, with full: T?, on body: [UInt8], sourceLocation: SourceLocation) {
    #expect(fast == full, "\(String(decoding: body, as: UTF8.self).debugDescription)", sourceLocation: sourceLocation)
}

/// `Message.parseResponse` reads a worker's reply keeping the result as text; whenever it
/// answers, the answer must be what `Message.parse` says, and for an ordinary response it must
/// answer (otherwise the fast path would silently not be taken).
@Suite struct ResponseParsingTests {
    static func checkResponseAgreement(_ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        var full: Response?
        if case .single(.success(.response(let response)))? = try? Message.parse(body: body) { full = response }
        expectFastPathAgrees(Message.parseResponse(body: body)?.response, with: full, on: body, sourceLocation: sourceLocation)
    }

    static let bodies: [String] = [
        #"{"jsonrpc":"2.0","id":1,"result":{"a":1}}"#,
        #"{"result":[],"id":"s","jsonrpc":"2.0"}"#,
        #"{"jsonrpc":"2.0","id":null,"result":null}"#,
        #"{"jsonrpc":"2.0","id":2,"error":{"code":-32010,"message":"Script error","data":{"line":3}}}"#,
        #"{"jsonrpc":"2.0","id":2,"error":{"code":"x","message":"m"}}"#,
        #"{"jsonrpc":"2.0","id":2,"error":{"code":1.5,"message":"m"}}"#,
        #"{"jsonrpc":"2.0","id":3,"result":1,"error":{"code":1,"message":"m"}}"#,
        #"{"jsonrpc":"2.0","result":1}"#,
        #"{"jsonrpc":"1.0","id":1,"result":1}"#,
        #"{"jsonrpc":"2\u002e0","id":1,"result":1}"#,
        #"{"id":1,"result":1}"#,
        #"{"jsonrpc":"2.0","id":[1],"result":1}"#,
        #"{"jsonrpc":"2.0","id":1.5,"result":1}"#,
        #"{"jsonrpc":"2.0","id":1,"result":1,"result":2}"#,
        #"{"jsonrpc":"2.0","id":1,"result":{"a":1,"a":2}}"#,
        #"{"jsonrpc":"2.0","id":1,"result":1,"extra":true}"#,
        #"{"jsonrpc":"2.0","id":1,"result":1,"x":1,"\u0078":2}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","result":1}"#,
        #"{"jsonrpc":"2.0","method":"worker.ready","params":{}}"#,
        #"[{"jsonrpc":"2.0","id":1,"result":1}]"#,
        #"{"jsonrpc":"2.0","id":1,"result":NaN}"#,
        #"{"jsonrpc":"2.0","id":1,"result":"\ud800"}"#,
        #"{"jsonrpc":"2.0","\u0069d":1,"result":1}"#,
        " \n{\"jsonrpc\":\"2.0\",\n\"id\":1,\"result\":{\n\"a\": 1}}\n ",
        "1", "null", "", "{",
    ]

    @Test func agreesWithFullParsing() {
        for body in Self.bodies { Self.checkResponseAgreement(Array(body.utf8)) }
    }

    @Test func ordinaryRepliesTakeTheFastPath() throws {
        let reply = try #require(Message.parseResponse(body: Array(#"{"jsonrpc":"2.0","id":4,"result":{"stdout":"a\nb","value":[1,2]}}"#.utf8)))
        #expect(reply.id == 4)
        #expect(try reply.result.get().text == #"{"stdout":"a\nb","value":[1,2]}"#)
        let failure = try #require(Message.parseResponse(body: Array(#"{"jsonrpc":"2.0","id":5,"error":{"code":-32010,"message":"Script error","data":{"line":1}}}"#.utf8)))
        #expect(failure.result == .failure(RPCError(code: .scriptError, message: "Script error", data: ["line": 1])))
    }

    @Test func encodesTheResultBytesAsTheyAre() throws {
        let raw = try RawJSON(validating: Array(#"{"z":1,"a":"é"}"#.utf8))
        #expect(String(decoding: RawResponse(id: 9, result: .success(raw)).encoded(), as: UTF8.self)
            == #"{"id":9,"jsonrpc":"2.0","result":{"z":1,"a":"é"}}"#)
        let error = RPCError(code: .instanceCrashed, data: ["instance": "i1"])
        #expect(RawResponse(id: "x", result: .failure(error)).encoded() == Response(id: "x", error: error).encoded())
    }
}

/// `Message.parseRequest` reads every single request with its params as text; whenever it
/// answers, the answer must be what `Message.parse` says, and for an ordinary request it must
/// answer (otherwise the fast path would silently not be taken).
@Suite struct RequestParsingTests {
    static func checkRequestAgreement(_ body: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        var full: Request?
        if case .single(.success(.request(let request)))? = try? Message.parse(body: body) { full = request }
        expectFastPathAgrees(Message.parseRequest(body: body)?.request, with: full, on: body, sourceLocation: sourceLocation)
    }

    static let bodies: [String] = [
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1}}"#,
        #"{"params":[1,"x"],"method":"m","id":"s","jsonrpc":"2.0"}"#,
        #"{"jsonrpc":"2.0","method":"note"}"#,
        #"{"jsonrpc":"2.0","id":null,"method":"m"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":"x"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":null}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":3}"#,
        #"{"jsonrpc":"2.0","id":1,"method":7}"#,
        #"{"jsonrpc":"2.0","id":1}"#,
        #"{"jsonrpc":"1.0","id":1,"method":"m"}"#,
        #"{"jsonrpc":"2\u002e0","id":1,"method":"m"}"#,
        #"{"id":1,"method":"m"}"#,
        #"{"jsonrpc":"2.0","id":[1],"method":"m"}"#,
        #"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#,
        #"{"jsonrpc":"2.0","id":true,"method":"m"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","method":"n"}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1,"a":2}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","extra":true}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","x":1,"\u0078":2}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","result":1}"#,
        #"{"jsonrpc":"2.0","id":1,"result":1}"#,
        #"{"jsonrpc":"2.0","\u006dethod":"m\u00e9","id":1}"#,
        #"[{"jsonrpc":"2.0","id":1,"method":"m"}]"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"code":"a\nb\"c"}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"x":NaN}}"#,
        #"{"jsonrpc":"2.0","id":1,"method":"m","params":{"x":"\ud800"}}"#,
        " \n{\"jsonrpc\":\"2.0\",\n\"id\":1,\"method\":\"m\",\"params\":{\n\"a\": [1, 2]}}\n ",
        "1", "null", "", "{", "{}",
    ]

    @Test func agreesWithFullParsing() {
        for body in Self.bodies { Self.checkRequestAgreement(Array(body.utf8)) }
    }

    @Test func deepParamsAreRefusedAsByTheFullParser() {
        let deep = #"{"jsonrpc":"2.0","id":1,"method":"m","params":"# + String(repeating: "[", count: 200)
            + String(repeating: "]", count: 200) + "}"
        #expect(Message.parseRequest(body: Array(deep.utf8), maxDepth: 64) == nil)
        Self.checkRequestAgreement(Array(deep.utf8))
    }

    @Test func ordinaryRequestsTakeTheFastPath() throws {
        let body = #"{"jsonrpc":"2.0","id":4,"method":"script.exec","params":{"session":"s1","code":"a\nb"}}"#
        let request = try #require(Message.parseRequest(body: Array(body.utf8)))
        #expect(request.id == 4 && request.method == "script.exec")
        #expect(request.params?.text == #"{"session":"s1","code":"a\nb"}"#)
        let note = try #require(Message.parseRequest(body: Array(#"{"jsonrpc":"2.0","method":"n"}"#.utf8)))
        #expect(note.id == nil && note.params == nil)
    }

    @Test func encodesTheParamsBytesAsTheyAre() throws {
        let params = try RawJSON(validating: Array(#"{"z":1,"a":"é\n"}"#.utf8))
        #expect(String(decoding: RawRequest(id: 9, method: "m", params: params).encoded(), as: UTF8.self)
            == #"{"id":9,"jsonrpc":"2.0","method":"m","params":{"z":1,"a":"é\n"}}"#)
        let tree = Request(id: "x", method: "m", params: ["b": [1, .null], "a": true])
        #expect(RawRequest(tree).encoded() == tree.encoded())
        #expect(RawRequest(id: nil, method: "n", params: nil).encoded() == Request.notification("n").encoded())
    }
}

/// The word-at-a-time scans against the obvious byte loop, with the interesting byte at every
/// offset from an 8-byte boundary.
@Suite struct ByteScanTests {
    @Test func scansMatchByteLoops() {
        let specials: [UInt8] = [0x00, 0x0A, 0x0B, 0x0D, 0x1F, 0x20, 0x21, 0x22, 0x5B, 0x5C, 0x5D, 0x7F, 0x80, 0xC3, 0xFF]
        for length in 0..<40 {
            for position in 0..<max(length, 1) {
                for special in specials {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if position < length { bytes[position] = special }
                    bytes.withUnsafeBufferPointer { buffer in
                        guard let base = buffer.baseAddress else { return }
                        for start in [0, min(3, length)] {
                            let plain = (start..<length).first { bytes[$0] < 0x20 || bytes[$0] >= 0x80 || bytes[$0] == 0x22 || bytes[$0] == 0x5C } ?? length
                            #expect(ByteScan.firstNonPlain(base, from: start, to: length) == plain)
                            let escape = (start..<length).first { bytes[$0] < 0x20 || bytes[$0] == 0x22 || bytes[$0] == 0x5C } ?? length
                            #expect(ByteScan.firstNeedingEscape(base, from: start, to: length) == escape)
                            let lineBreak = (start..<length).contains { bytes[$0] == 0x0A || bytes[$0] == 0x0D }
                            #expect(ByteScan.containsLineBreak(base, from: start, to: length) == lineBreak)
                        }
                    }
                }
            }
        }
    }

    @Test func escapingRoundTrips() throws {
        var generator = SplitMix64(seed: 42)
        let pieces = ["a", "\n", "\"", "\\", "\u{01}", "\u{1F}", "é", "😀", "/", " ", "\t", "\u{7F}", "abcdefghij"]
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...24, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined()
            let encoded = JSON.encode(.string(text))
            #expect(try JSON.parse(encoded) == .string(text))
            #expect(!encoded.contains(0x0A))
        }
    }
}
