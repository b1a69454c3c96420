import Testing
import JSONRPC

/// The examples of JSON-RPC 2.0 §7, run through a Dispatcher with the spec's test methods.
@Suite struct DispatcherSpecTests {
    /// Records notifications so tests can see they were delivered (and never answered).
    final class Log {
        var notifications: [String] = []
    }

    static func makeDispatcher() -> Dispatcher<Log> {
        let dispatcher = Dispatcher<Log>()
        dispatcher.register("subtract") { request, _, reply in
            switch request.params {
            case .array(let values)?:
                guard values.count == 2, let a = values[0].intValue, let b = values[1].intValue else {
                    return reply(.failure(.invalidParams(path: "params", reason: "expected two integers")))
                }
                reply(.success(.number(JSONNumber(a - b))))
            case .object(let members)?:
                guard let minuend = members["minuend"]?.intValue, let subtrahend = members["subtrahend"]?.intValue else {
                    return reply(.failure(.invalidParams(path: "params", reason: "expected minuend and subtrahend")))
                }
                reply(.success(.number(JSONNumber(minuend - subtrahend))))
            default:
                reply(.failure(.invalidParams(path: "params", reason: "missing")))
            }
        }
        dispatcher.register("sum") { request, _, reply in
            let values = request.params?.arrayValue ?? []
            reply(.success(.number(JSONNumber(values.compactMap(\.intValue).reduce(0, +)))))
        }
        dispatcher.register("get_data") { _, _, reply in reply(.success(["hello", 5])) }
        for name in ["update", "notify_hello", "notify_sum"] {
            dispatcher.register(name) { request, log, reply in
                log.notifications.append(request.method)
                reply(.success(nil))
            }
        }
        return dispatcher
    }

    /// The reply (nil when none) and the number of times `respond` was called.
    static func run(_ body: String) -> (reply: JSONValue?, calls: Int, log: Log) {
        let log = Log()
        var replies: [[UInt8]] = []
        makeDispatcher().handle(body: bytes(body), context: log) { replies.append($0) }
        let reply = replies.first.map { (try? JSON.parse($0)) ?? .string("<invalid JSON reply>") }
        return (reply, replies.count, log)
    }

    /// The spec's examples show errors without `data`; ours add it, so compare without it.
    static func withoutData(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let elements):
            return .array(elements.map(withoutData))
        case .object(var members):
            if case .object(var error)? = members["error"] {
                error["data"] = nil
                members["error"] = .object(error)
            }
            return .object(members)
        default:
            return value
        }
    }

    static func expectReply(_ body: String, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let (reply, calls, _) = run(body)
        #expect(calls == 1, sourceLocation: sourceLocation)
        #expect(reply.map(withoutData) == json(expected), sourceLocation: sourceLocation)
    }

    @Test func positionalParameters() {
        Self.expectReply(#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#,
                         #"{"jsonrpc": "2.0", "result": 19, "id": 1}"#)
        Self.expectReply(#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#,
                         #"{"jsonrpc": "2.0", "result": -19, "id": 2}"#)
    }

    @Test func namedParameters() {
        Self.expectReply(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#,
                         #"{"jsonrpc": "2.0", "result": 19, "id": 3}"#)
        Self.expectReply(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#,
                         #"{"jsonrpc": "2.0", "result": 19, "id": 4}"#)
    }

    @Test func notifications() {
        let update = Self.run(#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#)
        #expect(update.calls == 0)
        #expect(update.log.notifications == ["update"])
        // Unknown method as a notification: still no reply, not even an error.
        #expect(Self.run(#"{"jsonrpc": "2.0", "method": "foobar"}"#).calls == 0)
    }

    @Test func nonExistentMethod() {
        Self.expectReply(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#,
                         #"{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}"#)
        // Exact bytes, data included.
        let (reply, _, _) = Self.run(#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#)
        #expect(reply.map(JSON.string)
            == #"{"error":{"code":-32601,"data":{"method":"foobar"},"message":"Method not found"},"id":"1","jsonrpc":"2.0"}"#)
    }

    @Test func invalidJSON() {
        Self.expectReply(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
                         #"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#)
    }

    @Test func invalidRequestObject() {
        Self.expectReply(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
                         #"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#)
    }

    @Test func batchWithInvalidJSON() {
        Self.expectReply("""
            [
              {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
              {"jsonrpc": "2.0", "method"
            ]
            """,
            #"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#)
    }

    @Test func emptyArray() {
        // A single error object, not an array.
        Self.expectReply("[]", #"{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}"#)
    }

    @Test func invalidBatchNotEmpty() {
        Self.expectReply("[1]", #"[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]"#)
    }

    @Test func invalidBatch() {
        Self.expectReply("[1,2,3]", """
            [
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
            ]
            """)
    }

    @Test func batch() {
        let body = """
            [
                {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
                {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
                {"foo": "boo"},
                {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]
            """
        Self.expectReply(body, """
            [
                {"jsonrpc": "2.0", "result": 7, "id": "1"},
                {"jsonrpc": "2.0", "result": 19, "id": "2"},
                {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
                {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
                {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
            ]
            """)
        #expect(Self.run(body).log.notifications == ["notify_hello"])
    }

    @Test func batchOfNotificationsGetsNoReply() {
        let result = Self.run("""
            [
                {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
            ]
            """)
        #expect(result.calls == 0)
        #expect(result.log.notifications == ["notify_sum", "notify_hello"])
    }
}
