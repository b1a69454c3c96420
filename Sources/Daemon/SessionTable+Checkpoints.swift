import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC
import UVCore

/// Checkpoints (ARCHITECTURE.md, "Checkpoints"): the worker saves the scene as an uncompressed
/// .blend into its workspace (the only place its sandbox may write), and the daemon moves the file
/// into the session's directory, which no sandbox sees — so a script can neither read nor spoil
/// another checkpoint. Restoring copies the file back into the workspace and loads it with scripts
/// disabled. Retention keeps the last `keepCheckpoints` unlabelled ones, every labelled one, and
/// always the current one.
extension SessionTable {
    // MARK: Handlers

    func checkpoint(_ params: SceneCheckpoint.Params, on connection: ClientConnection, request: RequestID?,
                    _ reply: @escaping (Result<CheckpointInfo, RPCError>) -> Void) {
        if let label = params.label, label.isEmpty || label.count > 200 {
            return reply(.failure(.invalidParams(path: "params.label", reason: "must be 1 to 200 characters")))
        }
        onInstance(params.session, on: connection, request: request, method: SceneCheckpoint.name, reply) { [unowned self] session, instance, finish in
            saveCheckpoint(session, on: instance, label: params.label, auto: false) { result in
                if case .success(let checkpoint) = result {
                    self.journal(session, entry: ["method": .string(SceneCheckpoint.name), "ok": true, "checkpoint": .string(checkpoint.id)])
                }
                finish(result)
            }
        }
    }

    func listCheckpoints(_ id: String, on connection: ClientConnection) -> Result<SceneCheckpoints.Result, RPCError> {
        owned(id, by: connection).map { session in
            SceneCheckpoints.Result(checkpoints: session.checkpoints, current: session.currentCheckpoint,
                                    policy: session.checkpointPolicy.rawValue, keep: keepCheckpoints)
        }
    }

    func restore(_ params: SceneRestore.Params, on connection: ClientConnection, request: RequestID?,
                 _ reply: @escaping (Result<SceneRestore.Result, RPCError>) -> Void) {
        if case .success(let session) = owned(params.session, by: connection),
           !session.checkpoints.contains(where: { $0.id == params.checkpoint }) {
            return reply(.failure(.invalidParams(path: "params.checkpoint", reason: "no checkpoint \(params.checkpoint) in this session")
                .adding(["available": .array(session.checkpoints.map { .string($0.id) })])))
        }
        onInstance(params.session, on: connection, request: request, method: SceneRestore.name, needsHeadless: true, reply) { [unowned self] session, instance, finish in
            loadCheckpoint(params.checkpoint, of: session, into: instance, why: "scene.restore") { result in
                self.journal(session, entry: ["method": .string(SceneRestore.name), "ok": .bool((try? result.get()) != nil),
                                              "checkpoint": .string(params.checkpoint)])
                finish(result)
            }
        }
    }

    /// scene.load: the file is placed in the instance's workspace (the worker may only read
    /// there and in the system), loaded with scripts off, then removed.
    func load(_ params: SceneLoad.Params, on connection: ClientConnection, request: RequestID?,
              _ reply: @escaping (Result<JSONValue, RPCError>) -> Void) {
        let bytes: Data
        switch (params.path, params.data) {
        case (let path?, nil):
            guard path.hasPrefix("/") else {
                return reply(.failure(.invalidParams(path: "params.path", reason: "must be an absolute path on the daemon's machine")))
            }
            guard let contents = FileManager.default.contents(atPath: path) else {
                return reply(.failure(.invalidParams(path: "params.path", reason: "cannot read \(path)")))
            }
            bytes = contents
        case (nil, let data?):
            guard let decoded = Data(base64Encoded: data) else {
                return reply(.failure(.invalidParams(path: "params.data", reason: "not valid base64")))
            }
            bytes = decoded
        default:
            return reply(.failure(.invalidParams(path: "params", reason: "give exactly one of path and data")))
        }
        guard bytes.starts(with: Array("BLENDER".utf8)) || bytes.starts(with: [0x1f, 0x8b]) || bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd]) else {
            return reply(.failure(.invalidParams(path: params.path != nil ? "params.path" : "params.data",
                                                 reason: "not a .blend file (no BLENDER header, not gzip or zstd compressed)")))
        }
        onInstance(params.session, on: connection, request: request, method: SceneLoad.name, needsHeadless: true, reply) { [unowned self] session, instance, finish in
            let name = "load-\(session.journalSequence + 1).blend"
            let scratch: ScratchDirectory
            do {
                scratch = try scratchDirectory(for: instance, session: session)
                try scratch.write(name, bytes)
            } catch {
                return finish(.failure(Self.storageError("cannot write the file into the workspace", error)))
            }
            run(session, method: SceneLoad.name, params: ["path": .string(scratch.file(name))], timeoutMilliseconds: nil) { result in
                scratch.remove(name)
                scratch.close()
                let done: (Result<JSONValue, RPCError>) -> Void = { result in
                    self.journal(session, method: SceneLoad.name, params: ["bytes": .number(JSONNumber(bytes.count))], result: result)
                    finish(result)
                }
                guard case .success(let value) = result, session.checkpointPolicy == .auto, let instance = session.instance else {
                    return done(result.map { Self.adding($0, ["checkpoint": .null]) })
                }
                self.saveCheckpoint(session, on: instance, label: nil, auto: true) { saved in
                    switch saved {
                    case .success(let checkpoint):
                        done(.success(Self.adding(value, ["checkpoint": .string(checkpoint.id)])))
                    case .failure(let error):
                        done(.success(Self.adding(value, [
                            "checkpoint": .null, "checkpoint_error": .string(error.data?["reason"]?.stringValue ?? error.message),
                        ])))
                    }
                }
            }
        }
    }

    /// Runs `body` in the session's queue once it has an instance. A timeout or crash during
    /// `body` recovers like a call does (fresh instance, current checkpoint) and the error says so
    /// under the client's method name. `needsHeadless`: loading files is not offered by attached GUIs.
    private func onInstance<T>(
        _ id: String, on connection: ClientConnection, request: RequestID?, method: String, needsHeadless: Bool = false,
        _ reply: @escaping (Result<T, RPCError>) -> Void,
        _ body: @escaping (Session, Instance, @escaping (Result<T, RPCError>) -> Void) -> Void
    ) {
        let session: Session
        switch owned(id, by: connection) {
        case .failure(let error): return reply(.failure(error))
        case .success(let found): session = found
        }
        session.lastActiveMilliseconds = loop.nowMilliseconds
        enqueue(session, connection: connection.id, request: request, reply: reply) { [unowned self] done in
            session.phase = .leasing
            withInstance(session) { leased in
                let answer: (Result<T, RPCError>) -> Void = { result in
                    session.lastActiveMilliseconds = self.loop.nowMilliseconds
                    reply(result)
                    done()
                }
                switch leased {
                case .failure(let error):
                    answer(.failure(error))
                case .success where session.cancelRequested:
                    answer(.failure(RPCError(code: .cancelled, data: [
                        "reason": "request.cancel", "stage": "pending", "session": .string(session.id),
                    ])))
                case .success(let instance) where needsHeadless && instance.kind == .gui:
                    answer(.failure(.invalidParams(path: "params.session",
                        reason: "this session runs in an attached GUI Blender, which does not load files for the daemon; open a headless session (headless: true) for \(method)")))
                case .success(let instance):
                    session.phase = .finishing
                    body(session, instance) { result in
                        guard case .failure(let error) = result, error.code == .timeout || error.code == .instanceCrashed else {
                            return answer(result)
                        }
                        self.recover(session, from: instance, lost: true) { recovery in
                            var extra: [String: JSONValue] = [
                                "session": .string(session.id), "method": .string(method),
                                "restored_checkpoint": recovery.checkpoint.map(JSONValue.string) ?? .null,
                            ]
                            if let problem = recovery.error { extra["restore_error"] = .string(problem) }
                            // The client's method name replaces the worker's (checkpoint.save → scene.checkpoint).
                            answer(.failure(error.adding(extra)))
                        }
                    }
                }
            }
        }
    }

    // MARK: Saving and loading

    func saveCheckpoint(_ session: Session, on instance: Instance, label: String?, auto: Bool,
                        _ completion: @escaping (Result<CheckpointInfo, RPCError>) -> Void) {
        let id = "c\(session.nextCheckpointNumber)"
        session.nextCheckpointNumber += 1
        let final = state.checkpoints(session.id) + "/\(id).blend"
        let name = "\(id).blend"
        let scratch: ScratchDirectory
        do {
            scratch = try scratchDirectory(for: instance, session: session)
            scratch.remove(name)
        } catch {
            return completion(.failure(Self.storageError("cannot prepare the checkpoint file", error)))
        }
        instance.call("checkpoint.save", params: ["path": .string(scratch.file(name))], timeoutMilliseconds: session.execTimeoutMilliseconds) { [unowned self] result in
            defer { scratch.close() }
            switch result {
            case .failure(let error):
                scratch.remove(name)
                if error.code == .timeout || error.code == .instanceCrashed {
                    if session.instance === instance { session.instance = nil }
                    session.needsRestore = true
                }
                completion(.failure(error))
            case .success(let value):
                do { try scratch.moveOut(name, to: final) } catch {
                    return completion(.failure(Self.storageError("cannot move the checkpoint into the session directory", error)))
                }
                let bytes = value["bytes"]?.intValue ?? Self.fileSize(final) ?? 0
                let checkpoint = CheckpointInfo(
                    id: id, label: label, bytes: bytes, createdAt: Session.rfc3339(Date()), auto: auto, exec: session.execs,
                    durationMs: value["duration_ms"]?.doubleValue)
                session.checkpoints.append(checkpoint)
                session.currentCheckpoint = id
                prune(session)
                persist(session)
                events?.checkpointSaved(session.id, checkpoint)
                completion(.success(checkpoint))
            }
        }
    }

    /// - Parameter why: for subscribers' `session.state restored` (nil: they are not told).
    func loadCheckpoint(_ id: String, of session: Session, into instance: Instance, why: String? = nil,
                        _ completion: @escaping (Result<SceneRestore.Result, RPCError>) -> Void) {
        let source = state.checkpoints(session.id) + "/\(id).blend"
        guard FileManager.default.fileExists(atPath: source) else {
            return completion(.failure(.invalidParams(path: "params.checkpoint", reason: "checkpoint \(id) has no file any more")))
        }
        let name = "restore-\(id).blend"
        let scratch: ScratchDirectory
        do {
            scratch = try scratchDirectory(for: instance, session: session)
            // A copy, not a link: the sandbox may write its workspace, never the stored file.
            try scratch.copy(from: source, to: name)
        } catch {
            return completion(.failure(Self.storageError("cannot copy the checkpoint into the workspace", error)))
        }
        instance.call("checkpoint.load", params: ["path": .string(scratch.file(name))], timeoutMilliseconds: session.execTimeoutMilliseconds) { [unowned self] result in
            scratch.remove(name)
            scratch.close()
            switch result {
            case .failure(let error) where [.invalidParams, .invalidRequest, .methodNotFound].contains(error.code):
                // The stored file would not load: not the client's params, the daemon's storage.
                completion(.failure(RPCError(code: .internalError, data: [
                    "reason": .string("checkpoint \(id) could not be loaded: \(error.data?["reason"]?.stringValue ?? error.message)"),
                    "checkpoint": .string(id), "worker_error": error.json,
                ])))
            case .failure(let error):
                completion(.failure(error))
            case .success(let value):
                session.currentCheckpoint = id
                persist(session)
                if let why { events?.sessionState(session.id, .restored, checkpoint: id, reason: why) }
                completion(.success(SceneRestore.Result(checkpoint: id, objects: value["objects"]?.intValue,
                                                        durationMs: value["duration_ms"]?.doubleValue ?? 0)))
            }
        }
    }

    /// The error of a call that cost its instance, with the recovery it triggered. A warm spare
    /// takes the checkpoint in milliseconds and the error waits for that; when none is ready
    /// (spawning one takes a second or more) the error goes out after `recoveryReplyMilliseconds`
    /// naming the checkpoint the session is being put back at (`restore_pending: true`). The
    /// session's next operation waits for the restore either way, and if it fails that
    /// operation is told so instead of running on an empty scene.
    func recoverThenAnswer<T>(_ session: Session, from instance: Instance, lost: Bool, error: RPCError,
                              _ completion: @escaping (Result<T, RPCError>) -> Void) {
        var answered = false
        let answer: (_ checkpoint: String?, _ problem: String?, _ pending: Bool) -> Void = { checkpoint, problem, pending in
            guard !answered else { return }
            answered = true
            var extra: [String: JSONValue] = [
                "session": .string(session.id), "restored_checkpoint": checkpoint.map(JSONValue.string) ?? .null,
            ]
            if let problem { extra["restore_error"] = .string(problem) }
            if pending { extra["restore_pending"] = true }
            completion(.failure(error.adding(extra)))
        }
        let target = session.currentCheckpoint
        let timer = try? UVCore.Timer(loop: loop)
        try? timer?.start(after: Self.recoveryReplyMilliseconds) {
            timer?.close(nil)
            answer(target, nil, true)
        }
        session.recoveryInFlight = true
        recover(session, from: instance, lost: lost) { [unowned self] recovery in
            timer?.close(nil)
            session.recoveryInFlight = false
            // The error went out saying the restore was pending and the restore failed: the next
            // call is told, unless the restore's own instance died, which makes the next lease
            // restore again (a second kill mid-restore, as the fault soak does).
            if answered, let problem = recovery.error, target != nil, !session.needsRestore {
                session.pendingRestoreError = problem
            }
            answer(recovery.checkpoint, recovery.error, false)
            resumeOperations(session)
        }
    }

    /// How long an error waits for its recovery before it is sent with `restore_pending`.
    static let recoveryReplyMilliseconds = 250

    /// After a timeout, crash or cancel: a lost instance is replaced by a fresh one with the
    /// current checkpoint (withInstance does the loading); an instance that survived (the script
    /// stopped on SIGINT) gets the current checkpoint loaded in place, undoing the partial script.
    func recover(_ session: Session, from instance: Instance, lost: Bool,
                 _ completion: @escaping ((checkpoint: String?, error: String?)) -> Void) {
        guard sessions[session.id] === session else { return completion((nil, "the session ended")) }
        if lost {
            if session.instance === instance { session.instance = nil }
            session.needsRestore = true
            withInstance(session) { leased in
                switch leased {
                case .success: completion(session.lastRecovery ?? (nil, nil))
                case .failure(let error): completion((nil, "no fresh instance: \(error.message)"))
                }
            }
            return
        }
        guard let checkpoint = session.currentCheckpoint else {
            return completion((nil, "the session has no checkpoint: the scene is as the interrupted script left it"))
        }
        loadCheckpoint(checkpoint, of: session, into: instance, why: "the interrupted call's changes were undone") { result in
            switch result {
            case .success: completion((checkpoint, nil))
            case .failure(let error): completion((nil, error.data?["reason"]?.stringValue ?? error.message))
            }
        }
    }

    private func prune(_ session: Session) {
        let unlabelled = session.checkpoints.filter { $0.label == nil && $0.id != session.currentCheckpoint }
        guard unlabelled.count > keepCheckpoints else { return }
        let doomed = Set(unlabelled.prefix(unlabelled.count - keepCheckpoints).map(\.id))
        for id in doomed {
            try? FileManager.default.removeItem(atPath: state.checkpoints(session.id) + "/\(id).blend")
        }
        session.checkpoints.removeAll { doomed.contains($0.id) }
    }

    // MARK: Files

    /// Where the worker and the daemon exchange files: `.blenderd` in the instance's workspace
    /// when sandboxed, else in the session's own directory (an unsandboxed or attached worker can
    /// reach that anyway). ScratchDirectory.swift says why no path in it is ever followed.
    func scratchDirectory(for instance: Instance, session: Session) throws(ScratchError) -> ScratchDirectory {
        try ScratchDirectory(base: instance.workspace ?? state.session(session.id))
    }

    private static func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
    }

    static func storageError(_ what: String, _ error: any Error) -> RPCError {
        RPCError(code: .internalError, data: [
            "reason": .string("\(what): \(error)"),
            "remedy": "check the daemon's --state-dir: writable, not full",
        ])
    }

    static func adding(_ value: JSONValue, _ members: [String: JSONValue]) -> JSONValue {
        guard var object = value.objectValue else { return value }
        object.merge(members) { _, new in new }
        return .object(object)
    }
}

extension RPCError {
    /// The same error with more members in its `data` object.
    func adding(_ members: [String: JSONValue]) -> RPCError {
        var copy = self
        var object = data?.objectValue ?? [:]
        object.merge(members) { _, new in new }
        copy.data = .object(object)
        return copy
    }
}
