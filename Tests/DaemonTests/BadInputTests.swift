import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// Every kind of bad input gets a clear error, and the daemon (and, where the framing allows,
/// the connection) keeps serving.
@Suite("bad input")
struct BadInputTests {
    private func reply(_ client: BlenderdClient) throws -> JSONValue {
        try JSON.parse(try client.nextMessage(), maxDepth: 64)
    }

    private func pingStillWorks(_ client: BlenderdClient) throws {
        #expect(try client.call("daemon.ping")["pong"] == .bool(true))
    }

    @Test(arguments: [Framing.newlineDelimited, .header])
    func invalidJSONIsAParseErrorAndTheConnectionStaysUsable(framing: Framing) throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, framing: framing)
        try client.send(raw: FrameEncoder.message(Array(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#.utf8), framing: framing))
        let error = try reply(client)
        #expect(error["error"]?["code"] == .number(JSONNumber(-32700)))
        #expect(error["id"] == .null)
        try pingStillWorks(client)
    }

    @Test func invalidRequestUnknownMethodAndWrongParams() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath)
        let cases: [(String, Int)] = [
            (#"{"jsonrpc":"2.0","method":1,"id":1}"#, -32600),
            (#"{"jsonrpc":"1.0","method":"daemon.ping","id":2}"#, -32600),
            (#"{"jsonrpc":"2.0","method":"daemon.ping","id":{"a":1}}"#, -32600),
            (#"{"jsonrpc":"2.0","method":"daemon.ping","params":"x","id":3}"#, -32600),
            (#"{"jsonrpc":"2.0","method":"no.such.method","id":4}"#, -32601),
            (#"{"jsonrpc":"2.0","method":"daemon.ping","params":[1],"id":5}"#, -32602),
        ]
        for (text, code) in cases {
            try client.send(raw: Array((text + "\n").utf8))
            let error = try reply(client)
            #expect(error["error"]?["code"] == .number(JSONNumber(code)), "\(text)")
        }
        let unknown = try { () throws -> JSONValue in
            try client.send(raw: Array(#"{"jsonrpc":"2.0","method":"daemon.pnig","id":9}"#.utf8) + [10])
            return try reply(client)
        }()
        #expect(unknown["error"]?["data"]?["method"] == .string("daemon.pnig"))
        try pingStillWorks(client)
    }

    @Test func oversizedHeaderFrameIsSkippedAndTheConnectionStaysUsable() throws {
        let daemon = try TestDaemon(configure: { $0.limits.maxFrameBytes = 4096 })
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, framing: .header)
        let body = #"{"jsonrpc":"2.0","method":"daemon.ping","id":1,"pad":""# + String(repeating: "x", count: 10_000) + #""}"#
        try client.send(raw: FrameEncoder.message(Array(body.utf8), framing: .header))
        let error = try reply(client)
        #expect(error["error"]?["code"] == .number(JSONNumber(-32600)))
        #expect(error["error"]?["data"]?["reason"] == .string("frame_too_large"))
        #expect(error["error"]?["data"]?["limit"] == .number(JSONNumber(4096)))
        try pingStillWorks(client)
    }

    @Test func oversizedLineIsSkippedUpToTheNextNewline() throws {
        let daemon = try TestDaemon(configure: { $0.limits.maxFrameBytes = 4096 })
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath)
        let line = #"{"jsonrpc":"2.0","method":"daemon.ping","id":1,"pad":""# + String(repeating: "y", count: 20_000) + "\"}\n"
        try client.send(raw: Array(line.utf8))
        let error = try reply(client)
        #expect(error["error"]?["data"]?["reason"] == .string("frame_too_large"))
        try pingStillWorks(client)
    }

    @Test func unreadableHeaderIsAnErrorThenClose() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, framing: .header)
        try client.send(raw: Array("Content-Length: banana\r\n\r\n{}".utf8))
        let error = try reply(client)
        #expect(error["error"]?["code"] == .number(JSONNumber(-32700)))
        #expect(throws: ClientError.self) { _ = try client.nextMessage() }
        // The daemon itself is fine.
        try pingStillWorks(try BlenderdClient(path: daemon.socketPath))
    }

    @Test func unknownFirstByteIsAnErrorThenClose() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath)
        try client.send(raw: Array("GET / HTTP/1.1\r\n\r\n".utf8))
        let error = try reply(client)
        #expect(error["error"]?["code"] == .number(JSONNumber(-32700)))
        #expect(throws: ClientError.self) { _ = try client.nextMessage() }
    }

    @Test func clientThatDisconnectsMidMessage() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        for framing in [Framing.header, .newlineDelimited] {
            let client = try BlenderdClient(path: daemon.socketPath, framing: framing)
            let whole = FrameEncoder.message(Array(#"{"jsonrpc":"2.0","method":"daemon.ping","id":1}"#.utf8), framing: framing)
            try client.send(raw: Array(whole.prefix(whole.count / 2)))
            client.close()
        }
        try pingStillWorks(try BlenderdClient(path: daemon.socketPath))
    }

    @Test func unexpectedAttachmentIsAnError() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, framing: .header)
        try client.send(raw: FrameEncoder.attachment([1, 2, 3], contentType: "application/octet-stream"))
        let error = try reply(client)
        #expect(error["error"]?["data"]?["reason"] == .string("unexpected_attachment"))
        try pingStillWorks(client)
    }

    /// Every JSONTestSuite file as a header-framed body: no crash or hang; malformed JSON (n_)
    /// is -32700; valid JSON that is not a request is -32600 (or, for a batch, an array of them).
    @Test func jsonTestSuiteBodies() throws {
        let directory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/testdata/JSONTestSuite/test_parsing")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        try #require(files.count > 300, "JSONTestSuite not found at \(directory.path)")
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, framing: .header, timeout: 10)
        var parseErrors = 0
        for file in files {
            let body = try [UInt8](Data(contentsOf: directory.appendingPathComponent(file)))
            try client.send(raw: FrameEncoder.message(body, framing: .header))
            let replyBody = try client.nextMessage()
            let answer = try JSON.parse(replyBody, maxDepth: 200)
            let code = answer["error"]?["code"]
            // RFC 8259 leaves duplicate member names to the parser; blenderd rejects them.
            let rejectedByChoice = file.hasPrefix("y_object_duplicated_key")
            // Some n_ files are 100,000 unclosed brackets: the depth limit stops them before
            // the missing end is seen, which is -32600 nesting_too_deep (protocol/README.md).
            let tooDeep = answer["error"]?["data"]?["reason"] == .string("nesting_too_deep")
            if file.hasPrefix("n_") || rejectedByChoice {
                #expect(code == .number(JSONNumber(-32700)) || tooDeep, "\(file): \(String(decoding: replyBody, as: UTF8.self))")
                parseErrors += 1
            } else if file.hasPrefix("y_") {
                // Valid JSON, but none of these is a JSON-RPC request.
                let isInvalidRequest = code == .number(JSONNumber(-32600))
                    || (answer.arrayValue?.allSatisfy { $0["error"]?["code"] == .number(JSONNumber(-32600)) } ?? false)
                #expect(isInvalidRequest, "\(file): \(String(decoding: replyBody, as: UTF8.self))")
            }
        }
        #expect(parseErrors > 180)
        #expect(try client.call("daemon.ping")["pong"] == .bool(true))
    }
}
