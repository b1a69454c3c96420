import BlenderdProtocol
import InstancePool
import JSONRPC

/// The events themselves: each builds its params only when something follows it
/// (EventBus.swift says where each is published from).
extension EventBus {
    // MARK: Sessions

    func sessionState(_ session: String, _ state: SessionStateChange, checkpoint: String? = nil, reason: String? = nil) {
        guard follows(session: session) else { return }
        var params: [String: JSONValue] = ["session": .string(session), "state": .string(state.rawValue)]
        if let checkpoint { params["checkpoint"] = .string(checkpoint) }
        if let reason { params["reason"] = .string(reason) }
        publish(EventNotification.sessionState, params: params, session: session)
    }

    func checkpointSaved(_ session: String, _ checkpoint: CheckpointInfo) {
        guard follows(session: session) else { return }
        var params: [String: JSONValue] = [
            "session": .string(session), "checkpoint": .string(checkpoint.id), "auto": .bool(checkpoint.auto),
        ]
        if let label = checkpoint.label { params["label"] = .string(label) }
        publish(EventNotification.checkpointSaved, params: params, session: session)
    }

    /// After a script.exec on `session` was answered, with what its client got. The worker's
    /// result is parsed here, and only when someone follows the session.
    func execResult(_ session: String, request: RequestID?, result: Result<RawJSON, RPCError>, measuredMilliseconds: Double) {
        guard follows(session: session) else { return }
        var params: [String: JSONValue] = ["session": .string(session)]
        if let request { params["request"] = request.json }
        switch result {
        case .success(let raw):
            let value = raw.value
            params["ok"] = true
            params["duration_ms"] = value["duration_ms"] ?? .number(JSONNumber(measuredMilliseconds))
            params["stdout"] = value["stdout"] ?? ""
            for key in ["value", "changes", "checkpoint"] {
                if let member = value[key], member != .null { params[key] = member }
            }
        case .failure(let error):
            let error = error.withFixedMessage
            params["ok"] = false
            params["duration_ms"] = error.data?["duration_ms"] ?? .number(JSONNumber(measuredMilliseconds))
            params["stdout"] = error.data?["stdout"] ?? ""
            params["error"] = ["code": .number(JSONNumber(error.code.rawValue)), "message": .string(error.message), "data": error.data ?? .null]
        }
        publish(EventNotification.execResult, params: params, session: session)
    }

    // MARK: Jobs

    /// job.submit from a session: the job's events go to that session's subscribers too.
    func jobSubmitted(_ job: String, session: String?) {
        if let session { jobSessions[job] = session }
    }

    /// job.progress or job.frame, as the submitting client gets it; a frame's file goes to each
    /// subscriber as it asked. `params` is encoded only when someone follows the job.
    func jobNotification(_ job: String, method: String, ended: Bool, params: () -> JSONValue?) {
        let session = jobSessions[job]
        if ended { jobSessions[job] = nil }
        guard follows(session: session), var members = params()?.objectValue else { return }
        if let session { members["session"] = .string(session) }
        var file: File?
        if method == "job.frame", let path = members["path"]?.stringValue {
            file = .path(path, mime: members["mime"]?.stringValue ?? "application/octet-stream")
        }
        publish(method, params: members, session: session, file: file)
    }

    // MARK: Instances

    /// The pool's events as `instance.state`: every state change, and a death with its reason.
    func instanceEvent(_ instance: Instance, _ event: InstanceEvent) {
        let state: InstanceState
        var reason: String?
        switch event {
        case .created: state = instance.state
        case .stateChanged(_, .dead): return  // `.died` follows, with the reason
        case .stateChanged(_, let to): state = to
        case .died(let death):
            state = .dead
            reason = death.description
        case .timedOut: return  // its death follows
        }
        // A render's extra instance ("s…/render") counts as its session's; a job's ("job:…") as none.
        var session = instance.lease.flatMap { lease -> String? in
            guard lease.hasPrefix("s") else { return nil }
            return String(lease.split(separator: "/").first ?? "")
        }
        if let session { instanceSessions[instance.id] = session } else { session = instanceSessions[instance.id] }
        if state == .dead || (state == .ready && instance.lease == nil) { instanceSessions[instance.id] = nil }
        guard follows(session: session) else { return }
        var params: [String: JSONValue] = ["instance": .string(instance.id), "state": .string(state.rawValue)]
        if let session { params["session"] = .string(session) }
        if let reason { params["reason"] = .string(reason) }
        publish(EventNotification.instanceState, params: params, session: session)
    }
}
