import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC
import Logging
import Sandbox
import UVCore

/// Every session of the daemon: opening (leasing from the pool), ownership, resuming, idle
/// expiry, and routing calls to the session's instance — re-leasing one when it died.
final class SessionTable {
    let pool: InstancePool
    let loop: EventLoop
    let logger: Logger
    private let defaultExecTimeoutMilliseconds: Int
    private let defaultIdleTimeoutMilliseconds: UInt64
    var sessions: [String: Session] = [:]
    private var sweepTimer: UVCore.Timer?
    /// Where sessions persist (session.json, journal, checkpoints).
    let state: StateDirectory
    /// Unlabelled checkpoints kept per session.
    let keepCheckpoints: Int
    /// request.cancel: SIGINT, then SIGTERM after this, then SIGKILL after as long again.
    let cancelGraceMilliseconds: Int
    /// Sessions with journal lines queued, and the timer that writes them (`journal`).
    var sessionsWithJournalLines: [Session] = []
    var journalTimer: UVCore.Timer?
    /// Subscribers (events.subscribe): session.state, exec.result, checkpoint.saved, streams.
    var events: EventBus?

    var count: Int { sessions.count }

    init(pool: InstancePool, loop: EventLoop, logger: Logger, execTimeoutMilliseconds: Int, idleTimeoutMilliseconds: UInt64,
         state: StateDirectory, keepCheckpoints: Int = 10, cancelGraceMilliseconds: Int = 2_000) {
        self.pool = pool
        self.loop = loop
        self.logger = logger
        self.defaultExecTimeoutMilliseconds = execTimeoutMilliseconds
        self.defaultIdleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.state = state
        self.keepCheckpoints = keepCheckpoints
        self.cancelGraceMilliseconds = cancelGraceMilliseconds
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
        switch self.requirements(from: params) {
        case .success(let parsed): requirements = parsed
        case .failure(let error): return reply(.failure(error))
        }
        var policy = CheckpointPolicy.auto
        if let text = params.checkpoint {
            guard let parsed = CheckpointPolicy(rawValue: text) else {
                return reply(.failure(.invalidParams(path: "params.checkpoint", reason: "expected auto or manual, got \(JSON.string(.string(text)))")))
            }
            policy = parsed
        }
        if let error = sandboxMismatch(params.sandbox, requirements) { return reply(.failure(error)) }
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
                session.checkpointPolicy = policy
                session.openParams = params
                session.directory = state.session(id)
                do { try createSessionDirectory(session) } catch {
                    pool.release(instance)
                    return reply(.failure(RPCError(code: .internalError, data: [
                        "reason": .string("cannot create the session directory: \(error)"),
                        "remedy": "check the daemon's --state-dir is writable and not full",
                    ])))
                }
                sessions[id] = session
                persist(session)
                logger.info("session opened", metadata: ["session": "\(id)", "instance": "\(instance.id)", "conn": "\(connection.id)"])
                reply(.success(openResult(for: session, instance: instance)))
                events?.sessionState(id, .opened)
            }
        }
    }

    func close(_ id: String, on connection: ClientConnection) -> Result<Void, RPCError> {
        switch owned(id, by: connection) {
        case .failure(let error): return .failure(error)
        case .success(let session):
            end(session, reason: "closed by its client", state: .closed)
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
        let restoring = session.instance == nil && session.needsRestore
        withInstance(session) { [unowned self] result in
            reply(result.map { instance in
                var opened = self.openResult(for: session, instance: instance)
                if restoring, let recovery = session.lastRecovery {
                    // A fresh instance was leased: say which checkpoint it now holds (or why none).
                    opened.restoredCheckpoint = recovery.checkpoint
                    opened.restoreError = recovery.error
                }
                return opened
            })
            if case .success = result { self.events?.sessionState(session.id, .resumed, checkpoint: session.currentCheckpoint) }
        }
    }

    func list(for connection: ClientConnection) -> [SessionInfo] {
        let now = loop.nowMilliseconds
        return sessions.values.sorted { $0.id < $1.id }.map { session in
            SessionInfo(
                session: session.id, instance: session.instance?.id, blender: session.blender,
                mine: session.owner == connection.id, attached: session.owner != nil, execs: session.execs,
                idleS: Double(now - min(now, session.lastActiveMilliseconds)) / 1000,
                checkpoint: session.currentCheckpoint, checkpoints: session.checkpoints.count)
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
        cancelRenders(of: connection)
        pool.cancelWaiting(client: connection.id)
    }

    /// The instance died or was stopped: sessions on it lease a fresh one on their next call.
    func instanceGone(_ instance: Instance) {
        for session in sessions.values where session.instance === instance {
            session.instance = nil
            session.needsRestore = true
            logger.notice("session lost its instance", metadata: ["session": "\(session.id)", "instance": "\(instance.id)"])
        }
    }

    /// Daemon shutdown: instances go back to the pool, sessions stay on disk for the next run.
    func closeAll() {
        for session in Array(sessions.values) { end(session, reason: "daemon shutting down", state: .closed, keepOnDisk: true) }
        sweepTimer?.close(nil)
        sweepTimer = nil
        flushJournal()
        journalTimer?.close(nil)
        journalTimer = nil
    }

    // MARK: Calls

    /// Runs `method` on the session's instance (leasing a fresh one if it died), after the
    /// session's earlier operations. A timeout, crash or cancel costs the session its instance;
    /// a fresh one is leased, the current checkpoint loaded into it, and the error says which
    /// (`restored_checkpoint`). A successful script.exec under policy auto is checkpointed
    /// before the reply, which names the checkpoint.
    func call(
        _ id: String, on connection: ClientConnection, request: RequestID? = nil, method: String, params: JSONValue,
        timeoutMilliseconds: Int?, _ reply: @escaping (Result<JSONValue, RPCError>) -> Void
    ) {
        callRaw(id, on: connection, request: request, method: method, params: RawJSON(params), timeoutMilliseconds: timeoutMilliseconds) {
            reply($0.map(\.value))
        }
    }

    /// `call` with params and result as JSON text (RawJSON.swift): the params go to the worker as
    /// they are; the result is validated, not parsed, and sent to the client as it is, with the
    /// checkpoint member spliced in.
    func callRaw(
        _ id: String, on connection: ClientConnection, request: RequestID? = nil, method: String, params: RawJSON,
        timeoutMilliseconds: Int?, _ reply: @escaping (Result<RawJSON, RPCError>) -> Void
    ) {
        let session: Session
        switch owned(id, by: connection) {
        case .failure(let error): return reply(.failure(error))
        case .success(let found): session = found
        }
        session.lastActiveMilliseconds = loop.nowMilliseconds
        enqueue(session, connection: connection.id, request: request, reply: reply) { [unowned self] done in
            let started = loop.nowMilliseconds
            runRaw(session, method: method, params: params, timeoutMilliseconds: timeoutMilliseconds) { result in
                if method == ScriptExec.name { session.execs += 1 }
                let finish: (Result<RawJSON, RPCError>) -> Void = { result in
                    // The reply first: subscribers and the journal line (queued: `journal`) are
                    // not something the client should wait for.
                    reply(result)
                    if method == ScriptExec.name {
                        self.events?.execResult(session.id, request: request, result: result,
                                                measuredMilliseconds: Double(self.loop.nowMilliseconds - started))
                    }
                    self.journal(session, method: method, params: params, result: result)
                    done()
                }
                guard case .success(let value) = result, Self.changesScene(method) else { return finish(result) }
                guard session.checkpointPolicy == .auto, let instance = session.instance else {
                    return finish(.success(value.settingMember("checkpoint", .null)))
                }
                self.saveCheckpoint(session, on: instance, label: nil, auto: true) { saved in
                    switch saved {
                    case .success(let checkpoint):
                        finish(.success(value.settingMember("checkpoint", .string(checkpoint.id))))
                    case .failure(let error):
                        self.logger.error("automatic checkpoint failed: \(error)", metadata: ["session": "\(session.id)"])
                        finish(.success(value.settingMembers([
                            "checkpoint": .null, "checkpoint_error": .string(error.data?["reason"]?.stringValue ?? error.message),
                        ])))
                    }
                }
            }
        }
    }

    /// Methods whose success changes the scene (and so gets an automatic checkpoint).
    static func changesScene(_ method: String) -> Bool {
        method == ScriptExec.name || method == SceneLoad.name
    }

    /// One call on the session's instance, with recovery on failure. Runs inside the session's
    /// operation queue.
    func run(_ session: Session, method: String, params: JSONValue, timeoutMilliseconds: Int?,
             _ completion: @escaping (Result<JSONValue, RPCError>) -> Void) {
        runRaw(session, method: method, params: RawJSON(params), timeoutMilliseconds: timeoutMilliseconds) { completion($0.map(\.value)) }
    }

    /// `run` with params and result as JSON text.
    func runRaw(_ session: Session, method: String, params: RawJSON, timeoutMilliseconds: Int?,
                _ completion: @escaping (Result<RawJSON, RPCError>) -> Void) {
        session.phase = .leasing
        withInstance(session) { [unowned self] leased in
            let instance: Instance
            switch leased {
            case .failure(let error): return completion(.failure(error))
            case .success(let found): instance = found
            }
            if let problem = session.pendingRestoreError {
                // An earlier error was answered before its restore finished, and the restore failed:
                // this call would run on an empty scene without knowing it.
                session.pendingRestoreError = nil
                return completion(.failure(RPCError(code: .internalError, data: [
                    "reason": .string("the session could not be put back at its checkpoint after the last error: \(problem)"),
                    "session": .string(session.id),
                    "remedy": "scene.restore an earlier checkpoint (scene.checkpoints lists them), or rebuild the scene",
                ])))
            }
            if session.cancelRequested {
                // request.cancel arrived while the instance was being leased.
                session.cancelRequested = false
                return completion(.failure(RPCError(code: .cancelled, data: [
                    "reason": "request.cancel", "stage": "pending", "session": .string(session.id),
                ])))
            }
            session.callsInFlight += 1
            session.phase = .calling
            instance.callRaw(method, params: params, timeoutMilliseconds: timeoutMilliseconds ?? session.execTimeoutMilliseconds) { result in
                session.callsInFlight -= 1
                session.phase = .finishing
                session.lastActiveMilliseconds = self.loop.nowMilliseconds
                let cancelled = session.cancelRequested
                session.cancelRequested = false
                self.stopCancelEscalation(session)
                switch result {
                case .success:
                    completion(result)
                case .failure(let error) where [.invalidParams, .invalidRequest, .methodNotFound, .parseError].contains(error.code):
                    completion(.failure(Self.clientError(fromWorker: error, method: method)))
                case .failure(var error):
                    if error.code == .scriptError, error.data?["type"]?.stringValue == "MemoryError" {
                        // Out of memory (the address-space limit): Blender's state after a failed
                        // allocation cannot be trusted; replace the instance like a crash.
                        instance.kill(reason: "the script ran out of memory (MemoryError)")
                        self.recover(session, from: instance, lost: true) { recovery in
                            error.data = Self.merging(error.data, [
                                "session": .string(session.id), "instance_replaced": true,
                                "restored_checkpoint": recovery.checkpoint.map(JSONValue.string) ?? .null,
                            ])
                            completion(.failure(error))
                        }
                        return
                    }
                    let lost = error.code == .timeout || error.code == .instanceCrashed
                    if cancelled || lost || error.code == .cancelled {
                        if cancelled && error.code != .timeout {
                            // reason and stage replace the crash's own (CancelledData's reason is an enum).
                            error = RPCError(code: .cancelled, data: error.adding([
                                "reason": "request.cancel",
                                "stage": .string(error.code == .instanceCrashed ? "killed" : "interrupted"),
                            ]).data)
                        }
                        self.recoverThenAnswer(session, from: instance, lost: lost || instance.state == .dead, error: error, completion)
                        return
                    }
                    if method == ScriptExec.name, [.scriptError, .sandboxViolation].contains(error.code),
                       session.checkpointPolicy == .auto, let checkpoint = session.currentCheckpoint,
                       let changes = error.data?["changes"]?.objectValue, !changes.isEmpty {
                        // Undo what the failed script half did, so the corrected script runs on the
                        // scene the last good one left (and re-running it does not duplicate objects).
                        self.loadCheckpoint(checkpoint, of: session, into: instance, why: "the failed script's changes were undone") { loaded in
                            var extra: [String: JSONValue] = ["restored_checkpoint": .null]
                            switch loaded {
                            case .success: extra["restored_checkpoint"] = .string(checkpoint)
                            case .failure(let problem): extra["restore_error"] = .string(problem.data?["reason"]?.stringValue ?? problem.message)
                            }
                            error.data = Self.merging(error.data, extra)
                            completion(.failure(error))
                        }
                        return
                    }
                    completion(.failure(error))
                }
            }
        }
    }

    func withInstance(_ session: Session, _ completion: @escaping (Result<Instance, RPCError>) -> Void) {
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
                if session.needsRestore {
                    session.needsRestore = false
                    guard let checkpoint = session.currentCheckpoint else {
                        session.lastRecovery = (nil, nil)
                        return waiting.forEach { $0(result) }
                    }
                    loadCheckpoint(checkpoint, of: session, into: instance, why: "a fresh instance replaced the one the session lost") { loaded in
                        if case .failure(let error) = loaded {
                            self.logger.error("could not restore checkpoint \(checkpoint) into a fresh instance: \(error)",
                                              metadata: ["session": "\(session.id)"])
                            session.lastRecovery = (nil, error.data?["reason"]?.stringValue ?? error.message)
                            // Killed or timed out while loading: that instance is gone too, and the
                            // session's next lease loads the checkpoint again.
                            if error.code == .instanceCrashed || error.code == .timeout { session.needsRestore = true }
                        } else {
                            session.lastRecovery = (checkpoint, nil)
                        }
                        waiting.forEach { $0(result) }
                    }
                    return
                }
            }
            waiting.forEach { $0(result) }
        }
    }

    // MARK: Helpers

    func owned(_ id: String, by connection: ClientConnection) -> Result<Session, RPCError> {
        guard let session = sessions[id] else { return .failure(Self.unknown(id)) }
        guard session.owner == connection.id else {
            return .failure(RPCError(code: .unauthorized, data: [
                "reason": "not_owner", "session": .string(id),
                "remedy": "session.resume with the session's token takes it over",
            ]))
        }
        return .success(session)
    }

    private func end(_ session: Session, reason: String, state: SessionStateChange, keepOnDisk: Bool = false) {
        sessions[session.id] = nil
        failQueued(session, with: Self.unknown(session.id))
        settleJournal(session, keep: keepOnDisk)
        if keepOnDisk { persist(session) } else { removeSessionDirectory(session) }
        session.waitingForInstance.forEach { $0(.failure(Self.unknown(session.id))) }
        session.waitingForInstance = []
        if let instance = session.instance { pool.release(instance) }
        session.instance = nil
        logger.info("session ended", metadata: ["session": "\(session.id)", "reason": "\(reason)"])
        events?.sessionState(session.id, state, reason: reason)
    }

    private func expireIdle() {
        let now = loop.nowMilliseconds
        for session in Array(sessions.values)
        where session.callsInFlight == 0 && now - min(now, session.lastActiveMilliseconds) >= session.idleTimeoutMilliseconds {
            end(session, reason: "idle for \(session.idleTimeoutMilliseconds / 1000) s", state: .expired)
        }
    }

    private func openResult(for session: Session, instance: Instance) -> SessionOpen.Result {
        SessionOpen.Result(
            session: session.id, token: session.token, instance: instance.id, blender: session.blender,
            kind: instance.kind.rawValue, headless: instance.headless)
    }

    /// A session asking for a tier gets it or -32002: spawned instances run the daemon's tier,
    /// attached GUIs are trusted.
    private func sandboxMismatch(_ requested: String?, _ requirements: Requirements) -> RPCError? {
        guard let requested else { return nil }
        guard let tier = SandboxTier(rawValue: requested) else {
            return .invalidParams(path: "params.sandbox", reason: "expected strict, standard or trusted, got \(JSON.string(.string(requested)))")
        }
        let spawned = pool.configuration.sandbox?.tier
        if tier == .trusted { return nil }  // matched against attached GUIs by `headless: false` below
        guard spawned == tier else {
            return pool.noInstanceError(requirements, reason: "this daemon's spawned instances run the \(spawned?.rawValue ?? "unsandboxed") tier, not \(tier.rawValue)")
                .adding(["remedy": .string("omit sandbox, or restart blenderd with --sandbox \(tier.rawValue)")])
        }
        return nil
    }

    /// `requirements(from:)`, plus: when this daemon sandboxes its instances, a session that
    /// asks for neither `headless` nor the trusted tier gets a headless (sandboxed) instance —
    /// never an attached GUI, which runs scripts unsandboxed in its owner's Blender.
    func requirements(from params: SessionOpen.Params) -> Result<Requirements, RPCError> {
        Self.requirements(from: params).map { requirements in
            var requirements = requirements
            if requirements.headless == nil, pool.configuration.sandbox != nil { requirements.headless = true }
            return requirements
        }
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
        // The trusted tier exists only in a GUI Blender its owner attached.
        let headless = params.sandbox == SandboxTier.trusted.rawValue ? false : params.headless
        if params.sandbox == SandboxTier.trusted.rawValue, params.headless == true {
            return .failure(.invalidParams(path: "params.headless", reason: "the trusted tier is only an attached GUI Blender: headless must be false or absent"))
        }
        return .success(Requirements(device: device, headless: headless, blender: version, engine: params.engine))
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
