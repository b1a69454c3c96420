// A worker's reply is validated but not parsed (RawJSON.swift): whatever bytes a worker sends,
// the caller gets either well-formed JSON or a clean -32005 with the instance killed — never
// the bytes of a broken reply.

@testable import InstancePool
import DaemonTestSupport
import JSONRPC
import UVCore
import XCTest

final class WorkerReplyTests: XCTestCase {
    private func harness() throws -> PoolHarness {
        let harness = try PoolHarness(PoolConfiguration(launchers: [fakeLauncher()], warm: 1, maxInstances: 2,
                                                        readyTimeoutMilliseconds: 10_000, healthIntervalMilliseconds: 0))
        harness.start(readyCount: 1)
        return harness
    }

    private func callRaw(_ harness: PoolHarness, _ instance: Instance, _ code: String) -> Result<RawJSON, RPCError>? {
        var outcome: Result<RawJSON, RPCError>?
        instance.callRaw("script.exec", params: ["code": .string(code)], timeoutMilliseconds: 10_000) { outcome = $0 }
        _ = harness.loop.run(timeout: 20_000) { outcome != nil }
        return outcome
    }

    func testResultTextComesThroughValidated() throws {
        let harness = try harness()
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        let raw = try XCTUnwrap(callRaw(harness, instance, "result = {'z': [1, 2.5], 'a': 'é\\n\"'}")).get()
        XCTAssertEqual(raw.value["value"], ["z": [1, 2.5], "a": "é\n\""])
        XCTAssertEqual(try JSON.parse(raw.bytes), raw.value)
        // Whitespace with line breaks between tokens: still valid, compacted for NDJSON clients.
        let spaced = try XCTUnwrap(callRaw(harness, instance, #"fake.reply_raw('{"jsonrpc": "2.0",\n "id": %ID%,\n "result": {\n  "a": [1,\r\n 2], "s": "x y"\n}}')"#)).get()
        XCTAssertEqual(spaced.text, #"{"a":[1,2],"s":"x y"}"#)
        // The JSONValue API parses the same text.
        XCTAssertEqual(try harness.exec(instance, "result = 7")?.get()["value"], 7)
        harness.finish()
    }

    func testErrorRepliesStayErrors() throws {
        let harness = try harness()
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        guard case .failure(let error)? = callRaw(harness, instance, "raise ValueError('no')") else { return XCTFail("expected -32010") }
        XCTAssertEqual(error.code, .scriptError)
        XCTAssertEqual(error.data?["type"], "ValueError")
        XCTAssertEqual(instance.state, .busy, "a script error leaves the instance serving its lease")
        harness.finish()
    }

    /// Each of these is a protocol violation: the instance is killed, the call gets -32005 naming
    /// it, and the pool goes on serving with a fresh instance.
    func testMalformedRepliesKillTheInstance() throws {
        let broken: [(String, String)] = [
            ("trailing comma", #"fake.reply_raw('{"jsonrpc":"2.0","id":%ID%,"result":{"a":1,}}')"#),
            ("duplicate key", #"fake.reply_raw('{"jsonrpc":"2.0","id":%ID%,"result":{"a":1,"a":2}}')"#),
            ("NaN", #"fake.reply_raw('{"jsonrpc":"2.0","id":%ID%,"result":{"t":NaN}}')"#),
            ("invalid UTF-8", #"fake.reply_raw(b'{"jsonrpc":"2.0","id":%ID%,"result":"\xff"}')"#),
            ("lone surrogate", #"fake.reply_raw('{"jsonrpc":"2.0","id":%ID%,"result":"\\ud800"}')"#),
            ("truncated", #"fake.reply_raw('{"jsonrpc":"2.0","id":%ID%,"result":{"a":[1,2')"#),
            ("not JSON-RPC", #"fake.reply_raw('{"id":%ID%,"result":1}')"#),
        ]
        let harness = try harness()
        for (what, code) in broken {
            let instance = try XCTUnwrap(try harness.acquire()?.get(), what)
            guard case .failure(let error)? = callRaw(harness, instance, code) else {
                XCTFail("\(what): expected -32005")
                continue
            }
            XCTAssertEqual(error.code, .instanceCrashed, what)
            XCTAssertEqual(error.data?["instance"], .string(instance.id), what)
            XCTAssertTrue(error.data?["reason"]?.stringValue?.contains("protocol violation") ?? false, "\(what): \(error)")
            XCTAssertTrue(harness.loop.run(timeout: 5_000) { instance.state == .dead }, what)
            harness.pool.release(instance)
            XCTAssertTrue(harness.waitReady(1), what)
        }
        let next = try XCTUnwrap(try harness.acquire()?.get())
        XCTAssertEqual(try harness.exec(next, "result = 1")?.get()["value"], 1)
        harness.finish()
    }
}
