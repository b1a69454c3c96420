import Testing
@testable import JSONRPC

private enum Exec: RPCMethod {
    static let name = "script.exec"
    struct Params: Codable, Sendable, Equatable {
        var session: String
        var code: String
        var timeoutS: Double?

        enum CodingKeys: String, CodingKey {
            case session, code
            case timeoutS = "timeout_s"
        }
    }
    typealias Result = JSONValue
}

/// The same params, decoded by hand (JSONValueDecodable) instead of by Codable.
private enum FastExec: RPCMethod {
    static let name = "fast.exec"
    struct Params: Codable, Sendable, Equatable, JSONValueDecodable {
        var session: String
        var code: String
        var timeoutS: Double?

        enum CodingKeys: String, CodingKey {
            case session, code
            case timeoutS = "timeout_s"
        }

        init(jsonValue: JSONValue) throws(JSONDecodingError) {
            let reader = try JSONObjectReader(jsonValue, keys: ["session", "code", "timeout_s"])
            session = try reader.string("session")
            code = try reader.string("code")
            timeoutS = try reader.doubleIfPresent("timeout_s")
        }
    }
    typealias Result = JSONValue
}

private final class Held {
    var replies: [Dispatcher<Held>.ForwardingReply] = []
}

/// Handlers that answer with JSON text (a worker's result) and params that decode themselves.
@Suite struct ForwardingDispatchTests {
    private func dispatcher() -> Dispatcher<Held> {
        let dispatcher = Dispatcher<Held>()
        dispatcher.registerForwarding(Exec.self) { params, _, held, reply in
            if params.code == "later" { return held.replies.append(reply) }
            // Text as a worker sends it: its own key order, escapes and spacing are kept.
            reply(.success(try! RawJSON(validating: Array(#"{"stdout":"ran\n","z":1, "a":"é"}"#.utf8))))
        }
        dispatcher.register(FastExec.self) { params, _, reply in
            reply(.success(["session": .string(params.session), "code": .string(params.code),
                            "timeout_s": params.timeoutS.map { .number(JSONNumber($0)) } ?? .null]))
        }
        return dispatcher
    }

    private func run(_ body: String, _ dispatcher: Dispatcher<Held>, _ held: Held = Held()) -> [String] {
        var replies: [String] = []
        dispatcher.handle(body: Array(body.utf8), context: held) { replies.append(String(decoding: $0, as: UTF8.self)) }
        return replies
    }

    @Test func resultTextIsSentAsItIs() {
        #expect(run(#"{"jsonrpc":"2.0","id":1,"method":"script.exec","params":{"session":"s","code":"x"}}"#, dispatcher())
            == [#"{"id":1,"jsonrpc":"2.0","result":{"stdout":"ran\n","z":1, "a":"é"}}"#])
    }

    @Test func paramsErrorsAreTheSameAsForTypedMethods() {
        #expect(run(#"{"jsonrpc":"2.0","id":2,"method":"script.exec","params":{"code":"c"}}"#, dispatcher())
            == [#"{"error":{"code":-32602,"data":{"path":"params.session","reason":"missing required key"},"message":"Invalid params"},"id":2,"jsonrpc":"2.0"}"#])
    }

    @Test func asynchronousForwardedRepliesInABatch() {
        let dispatcher = dispatcher()
        var duplicates = 0
        dispatcher.onDuplicateReply = { _ in duplicates += 1 }
        let held = Held()
        var replies: [String] = []
        let body = #"[{"jsonrpc":"2.0","id":1,"method":"script.exec","params":{"session":"s","code":"later"}},"#
            + #"{"jsonrpc":"2.0","id":2,"method":"fast.exec","params":{"session":"s","code":"c"}}]"#
        dispatcher.handle(body: Array(body.utf8), context: held) { replies.append(String(decoding: $0, as: UTF8.self)) }
        #expect(replies.isEmpty)
        held.replies[0](.success(RawJSON(JSONValue.array([1, "x"]))))
        held.replies[0](.success(RawJSON(JSONValue.null)))  // a second reply is dropped
        #expect(duplicates == 1)
        #expect(replies == [#"[{"id":1,"jsonrpc":"2.0","result":[1,"x"]},"#
            + #"{"id":2,"jsonrpc":"2.0","result":{"code":"c","session":"s","timeout_s":null}}]"#])
    }

    @Test func dispatchGivesAParsedResponse() {
        var responses: [Response?] = []
        dispatcher().dispatch(Request(id: 3, method: "script.exec", params: ["session": "s", "code": "x"]), context: Held()) {
            responses.append($0)
        }
        #expect(responses == [Response(id: 3, result: .success(["stdout": "ran\n", "z": 1, "a": "é"]))])
    }

    /// A hand decoder must answer as Codable does, errors included.
    @Test func handDecodingMatchesCodable() {
        let cases: [JSONValue?] = [
            nil, [:], ["session": "s"], ["session": "s", "code": "c"], ["session": "s", "code": "c", "timeout_s": 2.5],
            ["session": "s", "code": "c", "timeout_s": .null], ["session": "s", "code": "c", "timeout_s": "2"],
            ["session": 1, "code": "c"], ["session": "s", "code": ["x"]], ["session": "s", "code": "c", "extra": 1],
            ["session": "s", "code": "c", "b": 1, "a": 2], ["session": .null, "code": "c"], ["session": "s", "code": "c", "timeout_s": .number(JSONNumber(literal: "1e400")!)],
            [1, 2], "text", 3, .null,
        ]
        for params in cases {
            let codable = Dispatcher<Held>.decodeParams(Exec.Params.self, from: params)
            let fast = Dispatcher<Held>.paramsDecoder(for: FastExec.Params.self)(params)
            switch (codable, fast) {
            case (.success(let a), .success(let b)):
                #expect(a.session == b.session && a.code == b.code && a.timeoutS == b.timeoutS, "\(String(describing: params))")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "\(String(describing: params))")
            default:
                Issue.record("\(String(describing: params)): Codable \(codable), hand-written \(fast)")
            }
        }
    }
}
