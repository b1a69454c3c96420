import Testing
import JSONRPC

@Suite struct MessageTests {
    @Test func errorCodes() {
        let expected: [(ErrorCode, Int, String)] = [
            (.parseError, -32700, "parse_error"), (.invalidRequest, -32600, "invalid_request"),
            (.methodNotFound, -32601, "method_not_found"), (.invalidParams, -32602, "invalid_params"),
            (.internalError, -32603, "internal_error"), (.unknownSession, -32001, "unknown_session"),
            (.noInstance, -32002, "no_instance"), (.sandboxViolation, -32003, "sandbox_violation"),
            (.timeout, -32004, "timeout"), (.instanceCrashed, -32005, "instance_crashed"),
            (.cancelled, -32006, "cancelled"), (.scriptError, -32010, "script_error"),
            (.renderError, -32011, "render_error"), (.unauthorized, -32020, "unauthorized"),
            (.overloaded, -32029, "overloaded"),
        ]
        for (code, raw, name) in expected {
            #expect(code.rawValue == raw)
            #expect(code.name == name)
            #expect(ErrorCode(rawValue: raw) == code)
        }
        #expect(ErrorCode.allNamed.count == expected.count)
        #expect(Set(ErrorCode.allNamed.map(\.name)).count == expected.count)
        #expect(ErrorCode(-32050).name == "server_error")
        #expect(ErrorCode(-32500).name == "reserved")
        #expect(ErrorCode(7).name == "application_error")
        #expect(ErrorCode.timeout.description == "-32004 timeout")
        switch RPCError(code: .timeout).code {
        case .timeout: break
        default: Issue.record("~= did not match")
        }
    }

    @Test func requestIDs() {
        #expect(RequestID(json: "a") == .string("a"))
        #expect(RequestID(json: 1) == 1)
        #expect(RequestID(json: nil) == .null)
        #expect(RequestID(json: true) == nil)
        #expect(RequestID(json: [1]) == nil)
        #expect(RequestID(json: ["a": 1]) == nil)
        #expect(RequestID.number(JSONNumber(literal: "1.0")!).description == "1.0")
    }

    @Test func encodesRequestsNotificationsAndResponses() throws {
        let request = Request(id: 1, method: "daemon.ping", params: ["x": 1])
        #expect(request.encoded() == bytes(#"{"id":1,"jsonrpc":"2.0","method":"daemon.ping","params":{"x":1}}"#))
        #expect(request.encoded() == JSON.encode(request.json))
        let notification = Request.notification("render.progress")
        #expect(notification.isNotification)
        #expect(notification.encoded() == bytes(#"{"jsonrpc":"2.0","method":"render.progress"}"#))
        let ok = Response(id: "a", result: .success(["pong": true]))
        #expect(ok.encoded() == bytes(#"{"id":"a","jsonrpc":"2.0","result":{"pong":true}}"#))
        #expect(ok.encoded() == JSON.encode(ok.json))
        let failed = Response(id: .null, error: RPCError(code: .timeout, message: "too slow", data: ["after_s": 3]))
        #expect(failed.encoded() == bytes(#"{"error":{"code":-32004,"data":{"after_s":3},"message":"too slow"},"id":null,"jsonrpc":"2.0"}"#))
        #expect(failed.encoded() == JSON.encode(failed.json))
        #expect(Response.encode(batch: [ok, failed]) == JSON.encode(.array([ok.json, failed.json])))
        #expect(Request.encode(batch: [request, notification]) == JSON.encode(.array([request.json, notification.json])))
        #expect(Message.encode(batch: [.request(request), .response(ok)]) == JSON.encode(.array([request.json, ok.json])))
    }

    @Test func idsEchoByteExactly() throws {
        let body = bytes(#"{"jsonrpc":"2.0","method":"m","id":1.50}"#)
        guard case .single(.success(.request(let request))) = try Message.parse(body: body) else {
            Issue.record("not a request")
            return
        }
        let reply = Response(id: request.id ?? .null, result: .success(nil)).encoded()
        #expect(reply == bytes(#"{"id":1.50,"jsonrpc":"2.0","result":null}"#))
    }

    @Test func classifiesMessages() throws {
        func single(_ text: String) throws -> Result<Message, InvalidMessage> {
            guard case .single(let item) = try Message.parse(body: bytes(text)) else {
                return .failure(InvalidMessage(id: .null, error: RPCError(code: .internalError, message: "batch")))
            }
            return item
        }
        #expect(try single(#"{"jsonrpc":"2.0","method":"m"}"#) == .success(.request(.notification("m"))))
        #expect(try single(#"{"jsonrpc":"2.0","method":"m","id":null}"#) == .success(.request(Request(id: .null, method: "m"))))
        #expect(try single(#"{"jsonrpc":"2.0","id":3,"result":[1]}"#) == .success(.response(Response(id: 3, result: .success([1])))))
        #expect(try single(#"{"jsonrpc":"2.0","id":3,"error":{"code":-32004,"message":"t"}}"#)
            == .success(.response(Response(id: 3, error: RPCError(code: .timeout, message: "t")))))

        func invalid(_ text: String) throws -> InvalidMessage? {
            if case .failure(let error) = try single(text) { return error }
            return nil
        }
        // Wrong id type: answered with id null.
        #expect(try invalid(#"{"jsonrpc":"2.0","method":"m","id":{}}"#)?.id == .null)
        #expect(try invalid(#"{"jsonrpc":"2.0","method":"m","id":true}"#)?.error.code == .invalidRequest)
        // Otherwise the id is kept.
        #expect(try invalid(#"{"jsonrpc":"1.0","method":"m","id":"x"}"#)?.id == "x")
        #expect(try invalid(#"{"method":"m","id":2}"#)?.error.data == ["reason": "invalid_jsonrpc"])
        #expect(try invalid(#"{"jsonrpc":"2.0","method":5,"id":2}"#)?.error.data == ["reason": "invalid_method"])
        #expect(try invalid(#"{"jsonrpc":"2.0","id":2}"#)?.error.data == ["reason": "invalid_method"])
        #expect(try invalid(#"{"jsonrpc":"2.0","method":"m","params":3,"id":2}"#)?.error.data
            == ["reason": "invalid_params_type"])
        #expect(try invalid(#"{"jsonrpc":"2.0","method":"m","params":null,"id":2}"#)?.id == 2)
        #expect(try invalid("5")?.error.code == .invalidRequest)
        // Malformed responses are never answered.
        #expect(try invalid(#"{"jsonrpc":"2.0","id":3,"result":1,"error":{"code":1,"message":"x"}}"#)?.shouldReply == false)
        #expect(try invalid(#"{"jsonrpc":"2.0","result":1}"#)?.shouldReply == false)
        #expect(try invalid(#"{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":"x"}}"#)?.shouldReply == false)
        #expect(try invalid(#"{"jsonrpc":"2.0","id":[],"result":1}"#)?.shouldReply == false)
    }

    @Test func bodyLevelErrors() {
        #expect(throws: InvalidMessage(id: .null, error: .invalidRequest("empty_batch"))) { try Message.parse(body: bytes("[]")) }
        do {
            _ = try Message.parse(body: bytes("{"))
            Issue.record("accepted")
        } catch {
            #expect(error.id == .null)
            #expect(error.error.code == .parseError)
            #expect(error.error.data == ["reason": "unexpected end of input at offset 1"])
        }
    }

    @Test func decodedResults() throws {
        struct Pong: Codable, Equatable { var pong: Bool }
        #expect(try Response(id: 1, result: .success(["pong": true])).decodedResult(Pong.self) == Pong(pong: true))
        #expect(throws: RPCError(code: .timeout)) { try Response(id: 1, error: RPCError(code: .timeout)).decodedResult(Pong.self) }
        #expect(throws: JSONDecodingError.self) { try Response(id: 1, result: .success([:])).decodedResult(Pong.self) }
    }

    @Test func rpcErrorJSON() {
        let error = RPCError(code: .scriptError, message: "boom", data: ["line": 3])
        #expect(RPCError(json: error.json) == error)
        #expect(RPCError(json: ["code": 1.5, "message": "x"]) == nil)
        #expect(RPCError(code: .overloaded).message == "Overloaded")
        #expect(RPCError.invalidParams(path: "params.x", reason: "bad").message == "Invalid params")
        #expect(RPCError.invalidParams(path: "params.x", reason: "bad").data == ["path": "params.x", "reason": "bad"])
        #expect(error.description == #"-32010 boom {"line":3}"#)
    }

    /// `Message.parse(body:)` reads envelopes without building dictionaries; it must agree with
    /// parsing to a JSONValue and validating that.
    @Test(arguments: [
        #"{"jsonrpc":"2.0","method":"m","id":1,"params":{"method":"inner","id":[]}}"#,
        #"{"\u006dethod":"m","jsonrpc":"2.0","\u0069d":"x"}"#,
        #"{"jsonrpc":"1.0","jsonrpc":"2.0","method":"a","method":"b","id":1,"id":2}"#,
        #"{"jsonrpc":"2.0","method":"m","id":1,"x":1,"x":2}"#,
        #"{"jsonrpc":"2.0","method":"m","id":1,"\u0078":1,"x":2}"#,
        // Found by the fuzzer: a duplicate followed by a syntax error must give the same error.
        #"{"c":"2-0","id":"2-.0","id":1,"&&&r:c&p"#,
        #"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["#,
        #"{"jsonrpc":"2.0","method":"m","extra":{"a":[1,{"b":2}]},"idx":5,"i":1,"methods":0}"#,
        #"{"jsonrpc":"2.0","méthod":"m","id":1}"#,
        #"{"jsonrpc":"2.0","result":1,"id":1,"resul":2}"#,
        #"[{"jsonrpc":"2.0","method":"m"},1,"x",[],{"jsonrpc":"2.0","error":{"code":1,"message":"m"},"id":null},{}]"#,
        #"[[{"jsonrpc":"2.0","method":"m"}]]"#, "{}", "[{}]", "null", " [ 1 ] ", "{\"id\":1,}", "[{\"a\" 1}]", "{\"id\":\"\\ud800\"}",
    ])
    func fastEnvelopeParsingMatchesGenericValidation(_ text: String) {
        let fast = Result { () throws(InvalidMessage) -> ParsedBody in try Message.parse(body: bytes(text)) }
        let generic = Result { () throws(InvalidMessage) -> ParsedBody in
            let value: JSONValue
            do throws(JSONParseError) { value = try JSON.parse(text) } catch { throw InvalidMessage(parseFailure: error) }
            return try Message.classify(value)
        }
        #expect(fast == generic)
    }
}
