import BlenderdClient
import BlenderdProtocol
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing
@testable import Daemon

/// Replies a test holds back, so requests stay in flight (touched on the daemon's loop thread only).
private final class HeldReplies: @unchecked Sendable {
    var replies: [(Result<JSONValue, RPCError>) -> Void] = []
}

@Suite("MethodTable: requests in flight, duplicate ids, shutdown")
struct MethodTableTests {
    private func daemon(grace: UInt64 = 10_000) throws -> TestDaemon {
        let held = HeldReplies()
        return try TestDaemon(configure: { $0.shutdownGraceMilliseconds = grace }, extend: { table in
            table.registerRaw("test.hold") { _, _, reply in held.replies.append(reply) }
            table.registerRaw("test.release") { _, _, reply in
                let waiting = held.replies
                held.replies = []
                for waiter in waiting { waiter(.success("released")) }
                reply(.success(.number(JSONNumber(waiting.count))))
            }
        })
    }

    private func send(_ client: BlenderdClient, _ text: String) throws {
        try client.send(raw: Array((text + "\n").utf8))
    }

    private func next(_ client: BlenderdClient) throws -> JSONValue {
        try JSON.parse(client.nextMessage())
    }

    @Test func anIdInFlightIsRefusedUntilItIsAnswered() throws {
        let daemon = try daemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        try send(client, #"{"jsonrpc":"2.0","id":1,"method":"test.hold"}"#)
        try send(client, #"{"jsonrpc":"2.0","id":1,"method":"test.hold"}"#)
        let refused = try next(client)
        #expect(refused["id"] == 1)
        #expect(refused["error"]?["data"]?["reason"] == "duplicate_id")
        // A synchronous method in between is never counted as in flight.
        for id in 10..<20 { try send(client, #"{"jsonrpc":"2.0","id":\#(id),"method":"daemon.ping"}"#) }
        for _ in 10..<20 { #expect(try next(client)["result"]?["pong"] == true) }
        try send(client, #"{"jsonrpc":"2.0","id":2,"method":"test.release"}"#)
        #expect(try next(client) == ["jsonrpc": "2.0", "id": 1, "result": "released"])
        #expect(try next(client) == ["jsonrpc": "2.0", "id": 2, "result": 1])
        // Answered: the id can be used again.
        try send(client, #"{"jsonrpc":"2.0","id":1,"method":"test.hold"}"#)
        try send(client, #"{"jsonrpc":"2.0","id":3,"method":"test.release"}"#)
        #expect(try next(client)["result"] == "released")
        #expect(try next(client)["result"] == 1)
    }

    @Test func idsAreTrackedPerConnectionAndBeyondSixteen() throws {
        let daemon = try daemon()
        defer { daemon.stop() }
        let first = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        let second = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        // 40 held ids on one connection (past the small-array limit), the same ids on another.
        for id in 0..<40 { try send(first, #"{"jsonrpc":"2.0","id":"r\#(id)","method":"test.hold"}"#) }
        for id in 0..<40 { try send(second, #"{"jsonrpc":"2.0","id":"r\#(id)","method":"test.hold"}"#) }
        for id in [0, 17, 39] {
            try send(first, #"{"jsonrpc":"2.0","id":"r\#(id)","method":"test.hold"}"#)
            #expect(try next(first)["error"]?["data"]?["reason"] == "duplicate_id")
        }
        try send(first, #"{"jsonrpc":"2.0","id":"go","method":"test.release"}"#)
        var results: [JSONValue] = []
        for _ in 0..<41 { results.append(try next(first)) }
        #expect(results.last?["result"] == 80)
        for _ in 0..<40 { #expect(try next(second)["result"] == "released") }
    }

    @Test func shutdownAnswersWhatIsStillInFlight() throws {
        let daemon = try daemon(grace: 200)
        let client = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        try send(client, #"{"jsonrpc":"2.0","id":1,"method":"test.hold"}"#)
        try send(client, #"{"jsonrpc":"2.0","id":2,"method":"test.hold"}"#)
        try send(client, #"{"jsonrpc":"2.0","id":3,"method":"daemon.ping"}"#)
        #expect(try next(client)["id"] == 3)
        daemon.daemon.requestShutdown()
        var cancelled: [JSONValue] = []
        for _ in 0..<2 { cancelled.append(try next(client)) }
        #expect(Set(cancelled.compactMap { $0["id"] }) == [1, 2])
        for reply in cancelled {
            #expect(reply["error"]?["code"] == .number(JSONNumber(ErrorCode.cancelled.rawValue)))
            #expect(reply["error"]?["data"]?["reason"] == "shutdown")
        }
        daemon.stop()
    }
}

/// `script.exec`'s params are decoded by hand (ParamsDecoding.swift); that must stay what the
/// Codable conformance in BlenderdProtocol decodes, errors included.
@Suite("hand-written params decoding")
struct ParamsDecodingTests {
    @Test func scriptExecMatchesCodable() {
        let cases: [JSONValue] = [
            [:], ["session": "s"], ["session": "s", "code": "c"], ["session": "s", "code": "c", "timeout_s": 2.5],
            ["session": "s", "code": "c", "timeout_s": 3, "capture_limit": 1024], ["session": "s", "code": "c", "capture_limit": .null],
            ["session": "s", "code": "c", "capture_limit": 1.5], ["session": "s", "code": "c", "capture_limit": "9"],
            ["session": "s", "code": "c", "timeout_s": "2"], ["session": "s", "code": "c", "timeout_s": true],
            ["session": 1, "code": "c"], ["session": "s", "code": ["x"]], ["session": "s", "code": .null],
            ["session": "s", "code": "c", "timeout": 1], ["session": "s", "code": "c", "zz": 1, "aa": 2],
            ["session": "s", "code": "c", "capture_limit": .number(JSONNumber(literal: "1e30")!)],
            ["session": "s", "code": "c", "capture_limit": .number(JSONNumber(literal: "2e2")!)],
            [1, 2], "text", .null,
        ]
        for params in cases {
            let codable = Result { () throws(JSONDecodingError) in
                try JSONValueDecoder(rejectUnknownKeys: true).decode(ScriptExec.Params.self, from: params)
            }
            let hand = Result { () throws(JSONDecodingError) in try ScriptExec.Params(jsonValue: params) }
            #expect(codable == hand, "\(JSON.string(params))")
        }
    }

    /// script.exec as the daemon forwards it (code kept as text) decodes every params text as
    /// the typed decoder does: the same values, the same errors.
    @Test func forwardedExecParamsMatchTheTypedDecoder() throws {
        let texts = [
            #"{"session":"s","code":"import bpy\nprint(\"é\")\n"}"#, #"{"code":"c","session":"s","timeout_s":2.5}"#,
            #"{"session":"s","code":"c","capture_limit":1024}"#, #"{ "session" : "s" , "code" : "a\tb" }"#,
            #"{"session":"s","\u0063ode":"c"}"#, #"{"code":"c"}"#, #"{"session":"s"}"#, "{}", "[]", #"["s","c"]"#,
            #"{"session":"s","code":3}"#, #"{"session":"s","code":null}"#, #"{"session":"s","code":["c"]}"#,
            #"{"session":1,"code":"c"}"#, #"{"session":"s","code":"c","zz":1,"aa":2}"#, #"{"aa":1,"code":"c","session":"s"}"#,
            #"{"session":"s","code":"c","timeout_s":"2"}"#, #"{"session":"s","code":"c","capture_limit":1.5}"#,
            #"{"session":"s","code":"c","capture_limit":null}"#,
        ]
        for text in texts {
            let raw = try RawJSON(validating: Array(text.utf8))
            let forwarded = ForwardedExecParams.decode(raw)
            let typed = Dispatcher<ClientConnection>.decodeParams(ScriptExec.Params.self, from: raw.value)
            switch (forwarded, typed) {
            case (.success(let fast), .success(let params)):
                #expect(fast.code.value == .string(params.code), "\(text)")
                #expect(fast.session == params.session && fast.timeoutS == params.timeoutS
                        && fast.captureLimit == params.captureLimit, "\(text)")
            case (.failure(let fast), .failure(let error)):
                #expect(fast == error, "\(text)")
            default:
                Issue.record("\(text): forwarded \(forwarded), typed \(typed)")
            }
        }
        // No params at all: the typed decoder's error too.
        guard case .failure(let none) = ForwardedExecParams.decode(nil),
              case .failure(let typedNone) = Dispatcher<ClientConnection>.decodeParams(ScriptExec.Params.self, from: nil) else {
            Issue.record("script.exec without params was accepted")
            return
        }
        #expect(none == typedNone)
        // The code is passed on as the client wrote it, escapes and all.
        let written = #"{"session":"s","code":"print(\"\u00e9\")\n"}"#
        let code = try ForwardedExecParams.decode(RawJSON(validating: Array(written.utf8))).get().code
        #expect(code.text == #""print(\"\u00e9\")\n""#)
    }

    /// A field added to ScriptExec.Params must be added to the hand-written decoder too.
    @Test func scriptExecHasTheFieldsTheDecoderReads() {
        let labels = Mirror(reflecting: ScriptExec.Params(session: "s", code: "c")).children.compactMap(\.label)
        #expect(labels == ["session", "code", "timeoutS", "captureLimit"],
                "ScriptExec.Params changed: update Sources/Daemon/ParamsDecoding.swift")
    }
}

@Suite("journal timestamps")
struct JournalTimestampTests {
    /// The hand-written RFC 3339 text equals what ISO8601DateFormatter wrote before.
    @Test func sameTextAsISO8601DateFormatter() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 951_782_400.9996), Date()]
        for _ in 0..<2_000 {
            dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &generator)))
        }
        for date in dates {
            #expect(Session.rfc3339(date) == formatter.string(from: date), "\(date.timeIntervalSince1970)")
        }
    }
}
