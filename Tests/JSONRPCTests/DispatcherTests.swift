import Testing
import JSONRPC

private enum ScriptExec: RPCMethod {
    static let name = "script.exec"
    struct Params: Codable, Sendable {
        var session: String
        var code: String
        var timeout_s: Double?
    }
    struct Result: Codable, Sendable {
        var stdout: String
        var duration_ms: Int
    }
}

private enum Ping: RPCMethod {
    static let name = "daemon.ping"
    struct Params: Codable, Sendable {}
    struct Result: Codable, Sendable { var pong: Bool }
}

private enum Progress: RPCNotification {
    static let name = "render.progress"
    struct Params: Codable, Sendable { var done: Int }
}

/// Replies that a test releases later, to exercise asynchronous handlers.
private final class Pending {
    var replies: [(Result<JSONValue, RPCError>) -> Void] = []
    var responses: [Response] = []
    var requests: [Request] = []
}

@Suite struct DispatcherTests {
    private func makeDispatcher() -> Dispatcher<Pending> {
        let dispatcher = Dispatcher<Pending>()
        dispatcher.register(ScriptExec.self) { params, _, reply in
            reply(.success(ScriptExec.Result(stdout: "ran \(params.code)", duration_ms: 3)))
        }
        dispatcher.register(Ping.self, withRequest: { _, request, pending, reply in
            pending.requests.append(request)
            reply(.success(Ping.Result(pong: true)))
        })
        dispatcher.register("later") { _, pending, reply in pending.replies.append(reply) }
        dispatcher.register("fail") { _, _, reply in reply(.failure(RPCError(code: .timeout, data: ["after_s": 1]))) }
        dispatcher.onResponse = { response, pending in pending.responses.append(response) }
        return dispatcher
    }

    private func run(_ body: String, _ dispatcher: Dispatcher<Pending>? = nil, _ pending: Pending = Pending()) -> [String] {
        var replies: [String] = []
        (dispatcher ?? makeDispatcher()).handle(body: bytes(body), context: pending) {
            replies.append(String(decoding: $0, as: UTF8.self))
        }
        return replies
    }

    @Test func typedMethod() {
        #expect(run(#"{"jsonrpc":"2.0","id":1,"method":"script.exec","params":{"session":"s","code":"x=1"}}"#)
            == [#"{"id":1,"jsonrpc":"2.0","result":{"duration_ms":3,"stdout":"ran x=1"}}"#])
    }

    @Test func typedMethodGetsTheRequest() {
        let pending = Pending()
        #expect(run(#"{"jsonrpc":"2.0","id":"p","method":"daemon.ping"}"#, nil, pending)
            == [#"{"id":"p","jsonrpc":"2.0","result":{"pong":true}}"#])
        #expect(pending.requests.map(\.id) == ["p"])
    }

    @Test func typedDecodingFailureIsInvalidParams() {
        #expect(run(#"{"jsonrpc":"2.0","id":2,"method":"script.exec","params":{"session":"s","code":"c","timeout_s":"x"}}"#)
            == [#"{"error":{"code":-32602,"data":{"path":"params.timeout_s","reason":"expected a number, got \"x\""},"#
                + #""message":"Invalid params"},"id":2,"jsonrpc":"2.0"}"#])
        #expect(run(#"{"jsonrpc":"2.0","id":3,"method":"script.exec","params":{"code":"c"}}"#)
            == [#"{"error":{"code":-32602,"data":{"path":"params.session","reason":"missing required key"},"#
                + #""message":"Invalid params"},"id":3,"jsonrpc":"2.0"}"#])
        // Absent params decode from {}: the missing key is named.
        #expect(run(#"{"jsonrpc":"2.0","id":4,"method":"script.exec"}"#).first?.contains(#""path":"params.session""#) == true)
    }

    @Test func positionalParamsToTypedMethod() {
        #expect(run(#"{"jsonrpc":"2.0","id":5,"method":"script.exec","params":["s","c"]}"#)
            == [#"{"error":{"code":-32602,"data":{"path":"params","reason":"params must be an object of named parameters, not a positional array"},"#
                + #""message":"Invalid params"},"id":5,"jsonrpc":"2.0"}"#])
    }

    @Test func unknownMethodSuggestsAClosename() {
        let replies = run(#"{"jsonrpc":"2.0","id":6,"method":"script.exek"}"#)
        #expect(replies == [#"{"error":{"code":-32601,"data":{"did_you_mean":"script.exec","method":"script.exek"},"#
            + #""message":"Method not found"},"id":6,"jsonrpc":"2.0"}"#])
        #expect(run(#"{"jsonrpc":"2.0","id":7,"method":"ping"}"#).first?.contains(#""did_you_mean":"daemon.ping""#) == true)
        #expect(run(#"{"jsonrpc":"2.0","id":8,"method":"zzzzzzzzzz"}"#).first?.contains("did_you_mean") == false)
    }

    @Test func handlerErrors() {
        #expect(run(#"{"jsonrpc":"2.0","id":9,"method":"fail"}"#)
            == [#"{"error":{"code":-32004,"data":{"after_s":1},"message":"Timeout"},"id":9,"jsonrpc":"2.0"}"#])
    }

    @Test func asynchronousRepliesAndBatchOrdering() {
        let dispatcher = makeDispatcher()
        let pending = Pending()
        var replies: [[UInt8]] = []
        let body = #"[{"jsonrpc":"2.0","id":1,"method":"later"},{"jsonrpc":"2.0","id":2,"method":"later"},"#
            + #"{"jsonrpc":"2.0","method":"later"},{"jsonrpc":"2.0","id":3,"method":"daemon.ping"}]"#
        dispatcher.handle(body: bytes(body), context: pending) { replies.append($0) }
        #expect(replies.isEmpty)
        #expect(pending.replies.count == 3)
        pending.replies[1](.success("second"))
        #expect(replies.isEmpty)
        pending.replies[2](.success("notification reply is dropped"))
        #expect(replies.isEmpty)
        pending.replies[0](.success("first"))
        #expect(replies.map { String(decoding: $0, as: UTF8.self) } == [
            #"[{"id":1,"jsonrpc":"2.0","result":"first"},{"id":2,"jsonrpc":"2.0","result":"second"},"#
                + #"{"id":3,"jsonrpc":"2.0","result":{"pong":true}}]"#,
        ])
    }

    @Test func secondReplyIsIgnored() {
        let dispatcher = makeDispatcher()
        var duplicates: [Request] = []
        dispatcher.onDuplicateReply = { duplicates.append($0) }
        let pending = Pending()
        var replies: [[UInt8]] = []
        dispatcher.handle(body: bytes(#"{"jsonrpc":"2.0","id":1,"method":"later"}"#), context: pending) { replies.append($0) }
        pending.replies[0](.success(1))
        pending.replies[0](.success(2))
        #expect(replies == [bytes(#"{"id":1,"jsonrpc":"2.0","result":1}"#)])
        #expect(duplicates.map(\.method) == ["later"])
    }

    @Test func responsesGoToOnResponseAndAreNeverAnswered() {
        let pending = Pending()
        let dispatcher = makeDispatcher()
        var invalid: [InvalidMessage] = []
        dispatcher.onInvalidResponse = { message, _ in invalid.append(message) }
        #expect(run(#"{"jsonrpc":"2.0","id":"c1","result":{"ok":true}}"#, dispatcher, pending).isEmpty)
        #expect(run(#"{"jsonrpc":"2.0","id":"c2","error":{"code":-32006,"message":"Cancelled"}}"#, dispatcher, pending).isEmpty)
        #expect(pending.responses == [
            Response(id: "c1", result: .success(["ok": true])),
            Response(id: "c2", error: RPCError(code: .cancelled)),
        ])
        // Malformed responses are dropped, not answered.
        #expect(run(#"{"jsonrpc":"2.0","id":"c3","result":1,"error":{"code":1,"message":"x"}}"#, dispatcher, pending).isEmpty)
        #expect(invalid.count == 1)
        // In a batch, only the requests are answered.
        #expect(run(#"[{"jsonrpc":"2.0","id":"c4","result":2},{"jsonrpc":"2.0","id":1,"method":"daemon.ping"}]"#, dispatcher, pending)
            == [#"[{"id":1,"jsonrpc":"2.0","result":{"pong":true}}]"#])
        #expect(run(#"[{"jsonrpc":"2.0","id":"c5","result":2}]"#, dispatcher, pending).isEmpty)
        #expect(pending.responses.count == 4)
    }

    /// Too deep is well-formed JSON the daemon refuses to hold: -32600 `nesting_too_deep`
    /// with the limit (protocol/README.md, Limits), not a parse error.
    @Test func depthLimitIsAnInvalidRequest() {
        let dispatcher = makeDispatcher()
        dispatcher.maxDepth = 4
        let deep = #"{"jsonrpc":"2.0","id":1,"method":"daemon.ping","params":{"a":[[[1]]]}}"#
        #expect(run(deep, dispatcher)
            == [#"{"error":{"code":-32600,"data":{"limit":4,"reason":"nesting_too_deep"},"message":"Invalid Request"},"id":null,"jsonrpc":"2.0"}"#])
    }

    @Test func unknownParamsMembersAreInvalidParams() {
        let replies = run(#"{"jsonrpc":"2.0","id":7,"method":"script.exec","params":{"session":"s","code":"c","timout_s":2}}"#)
        #expect(replies == [#"{"error":{"code":-32602,"data":{"path":"params.timout_s","reason":"unknown member"},"message":"Invalid params"},"id":7,"jsonrpc":"2.0"}"#])
    }

    @Test func invalidRequestsKeepTheirIDWhenValid() {
        #expect(run(#"{"jsonrpc":"2.0","id":"k","method":"daemon.ping","params":"x"}"#)
            == [#"{"error":{"code":-32600,"data":{"reason":"invalid_params_type"},"#
                + #""message":"Invalid Request"},"id":"k","jsonrpc":"2.0"}"#])
        #expect(run(#"{"jsonrpc":"2.0","id":[1],"method":"daemon.ping"}"#).first?.hasSuffix(#""id":null,"jsonrpc":"2.0"}"#) == true)
        #expect(run(#"{"id":1,"method":"daemon.ping"}"#).first?.contains(#""id":1"#) == true)
        #expect(run(#""just a string""#).first?.contains("-32600") == true)
    }

    @Test func methodsAndRegistration() {
        let dispatcher = makeDispatcher()
        #expect(dispatcher.methods == ["daemon.ping", "fail", "later", "script.exec"])
        dispatcher.unregister("fail")
        #expect(!dispatcher.methods.contains("fail"))
        dispatcher.register("fail") { _, _, reply in reply(.success(1)) }
        #expect(run(#"{"jsonrpc":"2.0","id":1,"method":"fail"}"#, dispatcher) == [#"{"id":1,"jsonrpc":"2.0","result":1}"#])
    }

    @Test func typedRequestsAndNotifications() throws {
        let request = try Request(id: 1, ScriptExec.self, params: .init(session: "s", code: "c", timeout_s: nil))
        #expect(request.encoded() == bytes(#"{"id":1,"jsonrpc":"2.0","method":"script.exec","params":{"code":"c","session":"s"}}"#))
        let note = try Request.notification(Progress.self, params: .init(done: 2))
        #expect(note.encoded() == bytes(#"{"jsonrpc":"2.0","method":"render.progress","params":{"done":2}}"#))
    }

    @Test func dispatchOneRequest() {
        let dispatcher = makeDispatcher()
        var responses: [Response?] = []
        dispatcher.dispatch(Request(id: 1, method: "daemon.ping"), context: Pending()) { responses.append($0) }
        dispatcher.dispatch(.notification("daemon.ping"), context: Pending()) { responses.append($0) }
        #expect(responses == [Response(id: 1, result: .success(["pong": true])), nil])
    }
}
