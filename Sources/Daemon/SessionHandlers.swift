import BlenderdProtocol
import InstancePool
import JSONRPC

/// `session.*`, `script.exec`, `scene.info`, `scene.object`, `api.describe`: the LL3M loop.
/// Handlers only translate params and results; `SessionTable` holds the logic.
extension Daemon {
    /// Longest time limit a client may ask for (a day).
    static let maxSeconds = 86_400.0
    /// Largest stdout/stderr capture per call: what fits a frame with room for the rest.
    static let maxCaptureBytes = 64 << 20

    func registerSessionMethods(_ table: MethodTable, sessions: SessionTable) {
        table.register(SessionOpen.self) { params, connection, reply in
            for (path, seconds) in [("params.timeout_s", params.timeoutS), ("params.idle_timeout_s", params.idleTimeoutS)] {
                if let seconds, !(seconds > 0 && seconds <= Self.maxSeconds) {
                    return reply(.failure(.invalidParams(path: path, reason: "must be in (0, 86400] seconds")))
                }
            }
            sessions.open(params, on: connection, reply)
        }
        table.register(SessionClose.self) { params, connection, reply in
            reply(sessions.close(params.session, on: connection).map { SessionClose.Result() })
        }
        table.register(SessionList.self) { _, connection, reply in
            reply(.success(SessionList.Result(sessions: sessions.list(for: connection))))
        }
        table.register(SessionResume.self) { params, connection, reply in
            sessions.resume(params, on: connection, reply)
        }
        table.registerForwarding(ScriptExec.self, paramsText: { text, requestID, connection, reply in
            let params: ForwardedExecParams
            switch ForwardedExecParams.decode(text) {
            case .success(let decoded): params = decoded
            case .failure(let error): return reply(.failure(error))
            }
            if let limit = params.captureLimit, !(0...Self.maxCaptureBytes).contains(limit) {
                return reply(.failure(.invalidParams(path: "params.capture_limit", reason: "must be in 0...\(Self.maxCaptureBytes) bytes")))
            }
            // The code goes to the worker as the client's JSON text (RawRequest.swift).
            let forwarded = params.captureLimit.map { limit in
                RawJSON(object: ["code": params.code, "capture_limit": RawJSON(.number(JSONNumber(limit)))])
            } ?? RawJSON(object: ["code": params.code])
            var timeout: Int?
            if let seconds = params.timeoutS {
                guard seconds > 0, seconds <= Self.maxSeconds else {
                    return reply(.failure(.invalidParams(path: "params.timeout_s", reason: "must be in (0, 86400] seconds")))
                }
                timeout = Int(seconds * 1000)
            }
            sessions.callRaw(params.session, on: connection, request: requestID, method: ScriptExec.name, params: forwarded,
                          timeoutMilliseconds: timeout, reply)
        })
        table.registerForwarding(SceneInfo.self, { params, requestID, connection, reply in
            if let offset = params.offset, offset < 0 {
                return reply(.failure(.invalidParams(path: "params.offset", reason: "must not be negative")))
            }
            if let limit = params.limit, !(0...1000).contains(limit) {
                return reply(.failure(.invalidParams(path: "params.limit", reason: "must be in 0...1000")))
            }
            var forwarded: [String: JSONValue] = [:]
            if let offset = params.offset { forwarded["offset"] = .number(JSONNumber(offset)) }
            if let limit = params.limit { forwarded["limit"] = .number(JSONNumber(limit)) }
            sessions.callRaw(params.session, on: connection, request: requestID, method: SceneInfo.name, params: RawJSON(.object(forwarded)),
                          timeoutMilliseconds: nil, reply)
        })
        table.registerForwarding(SceneObject.self, { params, requestID, connection, reply in
            sessions.callRaw(params.session, on: connection, request: requestID, method: SceneObject.name, params: RawJSON(["name": .string(params.name)]),
                          timeoutMilliseconds: nil, reply)
        })
        table.register(SceneCheckpoint.self, withRequestID: { params, requestID, connection, reply in
            sessions.checkpoint(params, on: connection, request: requestID, reply)
        })
        table.register(SceneCheckpoints.self) { params, connection, reply in
            reply(sessions.listCheckpoints(params.session, on: connection))
        }
        table.register(SceneRestore.self, withRequestID: { params, requestID, connection, reply in
            sessions.restore(params, on: connection, request: requestID, reply)
        })
        table.register(SceneLoad.self, withRequestID: { params, requestID, connection, reply in
            sessions.load(params, on: connection, request: requestID, reply)
        })
        table.register(RequestCancel.self) { params, connection, reply in
            reply(sessions.cancel(params.id, on: connection))
        }
        table.registerForwarding(APIDescribe.self, { params, requestID, connection, reply in
            sessions.callRaw(params.session, on: connection, request: requestID, method: APIDescribe.name, params: RawJSON(["target": .string(params.target)]),
                          timeoutMilliseconds: nil, reply)
        })
    }
}
