import BlenderdProtocol
import InstancePool
import JSONRPC
import UVCore

/// `instance.*` (the pool's view and control) and `worker.attach` (a GUI Blender joining).
extension Daemon {
    func registerInstanceMethods(_ table: MethodTable, pool: InstancePool, sessions: SessionTable, token: AttachToken?) {
        table.register(InstanceList.self) { _, _, reply in
            let live = pool.instances.filter { $0.state != .dead }
            reply(.success(InstanceList.Result(instances: live.map { Self.info($0, sessions: sessions) })))
        }
        table.register(InstanceSpawn.self) { params, _, reply in
            var kind: LauncherKind?
            if let name = params.kind {
                guard let parsed = LauncherKind(rawValue: name), parsed != .gui else {
                    return reply(.failure(.invalidParams(path: "params.kind", reason: "expected executable or module")))
                }
                kind = parsed
            }
            pool.spawn(kind: kind) { result in
                reply(result.map { InstanceSpawn.Result(instance: Self.info($0, sessions: sessions)) })
            }
        }
        table.register(InstanceStop.self) { params, _, reply in
            pool.stop(params.instance) { result in reply(result.map { InstanceStop.Result() }) }
        }
        table.register(WorkerAttach.self) { [unowned self] params, connection, reply in
            reply(self.attach(params, on: connection, pool: pool, token: token))
        }
    }

    /// A GUI Blender's add-on connected to our socket and presents the attach token. From then
    /// on the same connection carries our requests to it; its responses come back through the
    /// dispatcher's `onResponse`.
    private func attach(_ params: JSONValue, on connection: ClientConnection, pool: InstancePool, token: AttachToken?)
        -> Result<WorkerAttach.Result, RPCError>
    {
        guard connection.attachedInstance == nil else {
            return .failure(.invalidRequest("already_attached"))
        }
        guard let token, let presented = params["token"]?.stringValue, token.matches(presented) else {
            logger.warning("worker.attach with a bad token", metadata: ["conn": "\(connection.id)"])
            return .failure(RPCError(code: .unauthorized, data: ["reason": "bad_token"]))
        }
        var fields = params.objectValue ?? [:]
        fields["token"] = nil
        let info: WorkerInfo
        do { info = try JSONValueDecoder().decode(WorkerInfo.self, from: .object(fields)) } catch {
            return .failure(.invalidParams(path: error.path.isEmpty ? "params" : "params.\(error.path)", reason: error.reason))
        }
        let transport = ClosureTransport(
            send: { [weak connection] body in connection?.send(body) },
            close: { [weak connection] in connection?.closeAfterFlush() })
        let instance = pool.attach(connection: transport, info: info)
        connection.attachedInstance = instance  // the pool logs the attach
        return .success(WorkerAttach.Result(instance: instance.id))
    }

    static func info(_ instance: Instance, sessions: SessionTable) -> InstanceInfo {
        let snapshot = instance.snapshot
        let devices = (try? JSONValueEncoder().encode(snapshot.devices)) ?? .array([])
        let gpu = snapshot.gpu.flatMap { try? JSONValueEncoder().encode($0) }
        return InstanceInfo(
            id: snapshot.id, state: snapshot.state.rawValue, kind: snapshot.kind.rawValue, headless: snapshot.headless,
            blender: snapshot.blender, python: snapshot.python, engines: snapshot.engines,
            devices: devices.arrayValue ?? [], gpu: gpu, pid: snapshot.pid > 0 ? Int(snapshot.pid) : nil,
            rssBytes: snapshot.rssBytes, jobs: snapshot.jobs, session: sessions.session(holding: instance)?.id,
            uptimeS: snapshot.uptimeSeconds, sandbox: snapshot.sandbox, workspace: snapshot.workspace, cpus: snapshot.cpus)
    }
}

extension Instance {
    /// The Blender version the worker reported ("4.4.0").
    var blenderVersion: String? { info.map { "\($0.blender.version)" } }
}
