import Foundation
import JSONRPC
import Testing

/// The inline-delivery encoder against Foundation's, at every length around the 3-byte groups.
@Suite("base64")
struct Base64Tests {
    @Test func matchesFoundation() {
        var generator = SystemRandomNumberGenerator()
        for length in Array(0...70) + [1000, 65_537, 1 << 20] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(Base64.encodedCount(length) == Data(bytes).base64EncodedString().utf8.count)
        }
        #expect(Base64.encode(Array("Man".utf8), between: Array("[\"".utf8), and: Array("\"]".utf8)) == Array("[\"TWFu\"]".utf8))
        #expect(Base64.encode([], between: [1], and: [2]) == [1, 2])
        var out = Array("prefix:".utf8)
        Base64.encode(Array("Ma".utf8), appendingTo: &out)
        #expect(String(decoding: out, as: UTF8.self) == "prefix:TWE=")
    }

    @Test func rawJSONBuilders() throws {
        let attachment = RawJSON.object([("bytes", RawJSON(.number(JSONNumber(3)))), ("base64", .base64String([1, 2, 3]))])
        #expect(attachment.text == "{\"bytes\":3,\"base64\":\"AQID\"}")
        #expect(try attachment.parsed() == ["bytes": 3, "base64": "AQID"])
        let result = try RawJSON(validating: Array("{\"a\":1,\"files\":[\"x\"]}".utf8))
        #expect(try result.settingMember("attachment", raw: attachment).parsed() == ["a": 1, "files": ["x"], "attachment": ["bytes": 3, "base64": "AQID"]])
        #expect(try result.settingMember("files", raw: .array([attachment, RawJSON(.null)])).parsed()
                == ["a": 1, "files": [["bytes": 3, "base64": "AQID"], .null]])
        #expect(try RawJSON(validating: Array("{}".utf8)).settingMember("k", raw: RawJSON(.bool(true))).text == "{\"k\":true}")
    }
}
