import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC
import Logging
import UVCore

/// Every session of the daemon: opening (leasing from the pool), ownership, resuming, idle
/// expiry, and routing calls to the session's instance — re-leasing one when it died.
final class SessionTable {
    private let pool: InstancePool
    private let loop: EventLoop
    private let logger: Logger
    private let defaultExecTimeoutMilliseconds: Int
    private let defaultIdleTimeoutMilliseconds: UInt64
    private var sessions: [String: Session] = [:]
    private var sweepTimer: UVCore.Timer?

    var count: Int { sessions.count }

    init(pool: InstancePool, loop: EventLoop, logger: Logger, execTimeoutMilliseconds: Int, idleTimeoutMilliseconds: UInt64) {
        self.pool = pool
        self.loop = loop
        self.logger = logger
        self.defaultExecTimeoutMilliseconds = execTimeoutMilliseconds
        self.defaultIdleTimeoutMilliseconds = idleTimeoutMilliseconds
    }

    func start() {
        do {
            let timer = try UVCore.Timer(loop: loop)
            try timer.start(after: 1000, repeat: 1000) { [unowned self] in self.expireIdle() }
            sweepTimer = timer
        } catch {
            logger.error("no idle-session sweep: sessions will not expire", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Opening and closing

    func open(_ params: SessionOpen.Params, on connection: ClientConnection, _ reply: @escaping (Result<SessionOpen.Result, RPCError>) -> Void) {
        let requirements: Requirements
        switch Self.requirements(from: params) {
        case .success(let parsed): requirements = parsed
        case .failure(let error): return reply(.failure(error))
        }
        let id = Self.randomID(prefix: "s")
        pool.acquire(requirements, owner: id, client: connection.id) { [unowned self] result in
            switch result {
            case .failure(let error):
                reply(.failure(error))
            case .success(let instance):
                // The client may have left while it waited in the queue: give the instance back.
                guard !connection.isClosed else { return self.pool.release(instance) }
                let session = Session(
                    id: id, token: Self.randomID(prefix: "t"), requirements: requirements,
                    execTimeoutMilliseconds: params.timeoutS.map { Int($0 * 1000) } ?? defaultExecTimeoutMilliseconds,
                    idleTimeoutMilliseconds: params.idleTimeoutS.map { UInt64($0 * 1000) } ?? defaultIdleTimeoutMilliseconds,
                    owner: connection.id, instance: instance, blender: instance.blenderVersion ?? "unknown",
                    now: loop.nowMilliseconds)
                sessions[id] = session
                logger.info("session opened", metadata: ["session": "\(id)", "instance": "\(instance.id)", "conn": "\(connection.id)"])
                reply(.success(openResult(for: session, instance: instance)))
            }
        }
    }

    func close(_ id: String, on connection: ClientConnection) -> Result<Void, RPCError> {
        switch owned(id, by: connection) {
        case .failure(let error): return .failure(error)
        case .success(let session):
            end(session, reason: "closed by its client")
            return .success(())
        }
    }

    func resume(_ params: SessionResume.Params, on connection: ClientConnection, _ reply: @escaping (Result<SessionOpen.Result, RPCError>) -> Void) {
        guard let session = sessions[params.session] else { return reply(.failure(Self.unknown(params.session))) }
        guard Self.constantTimeEqual(session.token, params.token) else {
            return reply(.failure(RPCError(code: .unauthorized, data: ["reason": "bad_token", "session": .string(session.id)])))
        }
        session.owner = connection.id
        session.lastActiveMilliseconds = loop.nowMilliseconds
        logger.info("session resumed", metadata: ["session": "\(session.id)", "conn": "\(connection.id)"])
        withInstance(session) { [unowned self] result in
            reply(result.map { self.openResult(for: session, instance: $0) })
        }
    }

    func list(for connection: ClientConnection) -> [SessionInfo] {
        let now = loop.nowMilliseconds
        return sessions.values.sorted { $0.id < $1.id }.map { session in
            SessionInfo(
                session: session.id, instance: session.instance?.id, blender: session.blender,
                mine: session.owner == connection.id, attached: session.owner != nil, execs: session.execs,
                idleS: Double(now - min(now, session.lastActiveMilliseconds)) / 1000)
        }
    }

    func session(holding instance: Instance) -> Session? {
        sessions.values.first { $0.instance === instance }
    }

    /// The connection closed: its sessions stay (detached) for `session.resume` until they idle
    /// out; its queued `session.open` calls are dropped.
    func connectionClosed(_ connection: ClientConnection) {
        for session in sessions.values where session.owner == connection.id {
            session.owner = nil
        }
        pool.cancelWaiting(client: connection.id)
    }

    /// The instance died or was stopped: sessions on it lease a fresh one on their next call.
    func instanceGone(_ instance: Instance) {
        for session in sessions.values where session.instance === instance {
            session.instance = nil
            logger.notice("session lost its instance", metadata: ["session": "\(session.id)", "instance": "\(instance.id)"])
        }
    }

    func closeAll() {
        for session in Array(sessions.values) { end(session, reason: "daemon shutting down") }
        sweepTimer?.close(nil)
        sweepTimer = nil
    }

    // MARK: Calls

    /// Runs `method` on the session's instance (leasing a fresh one if it died). A timeout or a
    /// crash costs the session its instance; the error names the session and the instance.
    func call(
        _ id: String, on connection: ClientConnection, method: String, params: JSONValue,
        timeoutMilliseconds: Int?, _ reply: @escaping (Result<JSONValue, RPCError>) -> Void
    ) {
        let session: Session
        switch owned(id, by: connection) {
        case .failure(let error): return reply(.failure(error))
        case .success(let found): session = found
        }
        session.lastActiveMilliseconds = loop.nowMilliseconds
        withInstance(session) { [unowned self] leased in
            let instance: Instance
            switch leased {
            case .failure(let error): return reply(.failure(error))
            case .success(let found): instance = found
            }
            session.callsInFlight += 1
            instance.call(method, params: params, timeoutMilliseconds: timeoutMilliseconds ?? session.execTimeoutMilliseconds) { result in
                session.callsInFlight -= 1
                session.lastActiveMilliseconds = self.loop.nowMilliseconds
                if method == ScriptExec.name { session.execs += 1 }
                switch result {
                case .success:
                    reply(result)
                case .failure(let error) where [.invalidParams, .invalidRequest, .methodNotFound, .parseError].contains(error.code):
                    reply(.failure(Self.clientError(fromWorker: error, method: method)))
                case .failure(var error):
                    if error.code == .timeout || error.code == .instanceCrashed {
                        if session.instance === instance { session.instance = nil }
                        // Checkpoints (and restoring them) come with the sandbox/checkpoint layer;
                        // until then the replacement instance starts from an empty scene.
                        error.data = Self.merging(error.data, ["session": .string(session.id), "restored_checkpoint": .null])
                    }
                    reply(.failure(error))
                }
            }
        }
    }

    private func withInstance(_ session: Session, _ completion: @escaping (Result<Instance, RPCError>) -> Void) {
        if let instance = session.instance, instance.state != .dead, instance.state != .stopping {
            return completion(.success(instance))
        }
        session.instance = nil
        session.waitingForInstance.append(completion)
        guard session.waitingForInstance.count == 1 else { return }
        pool.acquire(session.requirements, owner: session.id, client: session.owner ?? 0) { [unowned self] result in
            let waiting = session.waitingForInstance
            session.waitingForInstance = []
            if case .success(let instance) = result {
                guard sessions[session.id] === session else {
                    pool.release(instance)
                    waiting.forEach { $0(.failure(Self.unknown(session.id))) }
                    return
                }
                session.instance = instance
                session.blender = instance.blenderVersion ?? session.blender
                logger.info("session got a fresh instance", metadata: ["session": "\(session.id)", "instance": "\(instance.id)"])
            }
            waiting.forEach { $0(result) }
        }
    }

    // MARK: Helpers

    private func owned(_ id: String, by connection: ClientConnection) -> Result<Session, RPCError> {
        guard let session = sessions[id] else { return .failure(Self.unknown(id)) }
        guard session.owner == connection.id else {
            return .failure(RPCError(code: .unauthorized, data: [
                "reason": "not_owner", "session": .string(id),
                "remedy": "session.resume with the session's token takes it over",
            ]))
        }
        return .success(session)
    }

    private func end(_ session: Session, reason: String) {
        sessions[session.id] = nil
        session.waitingForInstance.forEach { $0(.failure(Self.unknown(session.id))) }
        session.waitingForInstance = []
        if let instance = session.instance { pool.release(instance) }
        session.instance = nil
        logger.info("session ended", metadata: ["session": "\(session.id)", "reason": "\(reason)"])
    }

    private func expireIdle() {
        let now = loop.nowMilliseconds
        for session in Array(sessions.values)
        where session.callsInFlight == 0 && now - min(now, session.lastActiveMilliseconds) >= session.idleTimeoutMilliseconds {
            end(session, reason: "idle for \(session.idleTimeoutMilliseconds / 1000) s")
        }
    }

    private func openResult(for session: Session, instance: Instance) -> SessionOpen.Result {
        SessionOpen.Result(
            session: session.id, token: session.token, instance: instance.id, blender: session.blender,
            kind: instance.kind.rawValue, headless: instance.headless)
    }

    static func requirements(from params: SessionOpen.Params) -> Result<Requirements, RPCError> {
        var device = Requirements.Device.auto
        switch params.device {
        case nil, "auto"?: device = .auto
        case "cpu"?: device = .cpu
        case "gpu"?: device = .gpu
        case let other?:
            return .failure(.invalidParams(path: "params.device", reason: "expected cpu, gpu or auto, got \(JSON.string(.string(other)))"))
        }
        var version: VersionRequirement?
        if let text = params.blender {
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                return .failure(.invalidParams(path: "params.blender", reason: "empty version range; use \"*\" for any version"))
            }
            do { version = try VersionRequirement(parsing: text) } catch {
                return .failure(.invalidParams(path: "params.blender", reason: "\(error)"))
            }
        }
        return .success(Requirements(device: device, headless: params.headless, blender: version, engine: params.engine))
    }

    /// A worker's protocol-level error, as the client should see it: its -32602 names the
    /// client's param (`data.param` → `path`); -32600/-32601/-32700 from a worker mean the
    /// daemon and worker disagree, which is the daemon's fault: -32603.
    static func clientError(fromWorker error: RPCError, method: String) -> RPCError {
        guard error.code == .invalidParams else {
            return RPCError(code: .internalError, data: [
                "reason": .string("the worker answered \(method) with \(error.code.rawValue): \(error.message)"),
                "worker_error": error.json,
            ])
        }
        let named = error.data?["param"]?.stringValue
        let path = named.map { "params.\($0)" }
            ?? (method == SceneObject.name ? "params.name" : method == APIDescribe.name ? "params.target" : "params")
        var members = error.data?.objectValue ?? [:]
        members["path"] = .string(path)
        if members["reason"] == nil { members["reason"] = .string(error.message) }
        return RPCError(code: .invalidParams, data: .object(members))
    }

    static func unknown(_ id: String) -> RPCError {
        RPCError(code: .unknownSession, data: ["session": .string(id)])
    }

    static func merging(_ data: JSONValue?, _ extra: [String: JSONValue]) -> JSONValue {
        var members = data?.objectValue ?? [:]
        members.merge(extra) { old, _ in old }
        return .object(members)
    }

    /// 128 random bits from the system's CSPRNG (getrandom on Linux), as hex.
    static func randomID(prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return prefix + String(high, radix: 16).leftPadded(16) + String(low, radix: 16).leftPadded(16)
    }

    /// Token comparison whose time does not depend on where the strings differ.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
