// One running `render.views`: the worker calls that render it, the notifications that stream
// it, and the instances that share it. Lives in the session's operation queue (one operation at
// a time per session), from its turn until its reply; loop thread only.
//
//   work items   one worker call each: a pass over every view (the session's instance alone),
//                or one view per call when `parallel` shares the views, so an instance that
//                joins late (spawning takes a second or two) picks up whatever is left
//   session      the session's instance runs its calls through SessionTable.runRaw: a crash,
//                timeout or cancel recovers the session as for script.exec
//   extras       instances leased from the pool for `parallel`, only as many as are free now or can be
//                spawned without waiting behind anyone (InstancePool.acquireIfFree): a helper is
//                never worth queueing for, the session's instance renders whatever they do not;
//                leases still waiting are withdrawn once every view is taken; a snapshot of the session's scene
//                (saved at the start, not a checkpoint: the session's policy and list are its
//                own) is loaded into each; one that dies gives its view back once; all go back
//                to the pool at the end (and are replaced, like any released instance)
//   delivery     FileDelivery: each `render.image` the workers announce goes to the client as it
//                asked, in order, held back by file name while the client is over its limit;
//                the reply waits until every image has gone out

import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC
import Logging
import UVCore

final class RenderJob {
    private struct WorkItem {
        let pass: String
        /// nil: every view in one call.
        let indices: [Int]?
        var attempts = 0
    }

    /// An instance leased for `parallel`.
    private final class Extra {
        let instance: Instance
        var scratch: ScratchDirectory?
        var ready = false
        var busy = false
        init(instance: Instance) { self.instance = instance }
    }

    unowned let table: SessionTable
    let session: Session
    let connection: ClientConnection
    let request: RequestID?
    let plan: RenderPlan
    let delivery: FileDelivery
    private let sequence: Int
    private let reply: (Result<RenderViews.Result, RPCError>) -> Void
    private let done: () -> Void
    private let logger: Logger

    private var items: [WorkItem] = []
    private var extras: [Extra] = []
    private var sessionBusy = false
    private(set) var finished = false
    private var failure: RPCError?
    /// Cancelled while the session's instance renders: its call ends the job; meanwhile nothing
    /// more is streamed (the client asked to stop, or is gone).
    private var stopping = false
    private let startedMilliseconds: UInt64
    private let deadlineMilliseconds: UInt64
    /// Render directories made in workspaces: (the `.blenderd` directory, the subdirectory's name).
    private var renderDirectories: [String: (parent: ScratchDirectory, child: ScratchDirectory)] = [:]
    private var snapshot: String?
    private var snapshotDone = false
    /// The instances whose calls rendered views, in the order they first returned.
    private var instancesUsed: [String] = []
    /// Helpers asked for that the pool could give (at once or once spawned).
    private var extrasPromised = 0
    private var extrasLeased = 0

    // What the calls returned, merged.
    private var finals: [Int: RenderedImage] = [:]
    private var previews: [Int: RenderedImage] = [:]
    private var summary: [String: JSONValue] = [:]
    private var indicesRendered: Set<Int> = []
    private var notes: [String] = []
    private var added: [String: Bool] = [:]
    /// Per pass: view index → its 1-based position among the views started so far.
    private var progressOrder: [String: [Int: Int]] = [:]
    private var imageCount: [String: Int] = [:]
    /// The slowest view so far on the session's instance, and when its current view started
    /// (from render.progress): how long a cancel waits for a view about to finish.
    private var slowestViewMilliseconds = 0.0
    private var viewStartedMilliseconds: UInt64?

    init(table: SessionTable, session: Session, connection: ClientConnection, request: RequestID?, plan: RenderPlan,
         reply: @escaping (Result<RenderViews.Result, RPCError>) -> Void, done: @escaping () -> Void) {
        self.table = table
        self.session = session
        self.connection = connection
        self.request = request
        self.plan = plan
        self.reply = reply
        self.done = done
        session.renders += 1
        sequence = session.renders
        var logger = table.logger
        logger[metadataKey: "session"] = "\(session.id)"
        self.logger = logger
        let host = table.state.session(session.id) + "/renders/\(sequence)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        delivery = FileDelivery(connection: connection, delivery: plan.delivery, hostDirectory: host, logger: logger,
                                now: { [loop = table.loop] in loop.nowMilliseconds })
        if let events = table.events {
            delivery.observer = { [id = session.id] method, params, file in events.publish(method, params: params, session: id, file: file) }
        }
        startedMilliseconds = table.loop.nowMilliseconds
        let timeout = plan.timeoutMilliseconds ?? max(session.execTimeoutMilliseconds, RenderPlan.minimumTimeoutMilliseconds)
        deadlineMilliseconds = startedMilliseconds + UInt64(timeout)
    }

    // MARK: Running

    func start() {
        session.callsInFlight += 1  // not idle (and never expired) while extras render
        let passes = plan.preview ? ["preview", "final"] : ["final"]
        if plan.parallel > 0 {
            items = passes.flatMap { pass in (0..<plan.viewCount).map { WorkItem(pass: pass, indices: [$0]) } }
            for _ in 0..<plan.parallel { leaseExtra() }
        }
        if extrasPromised > 0 {
            takeSnapshot()
        } else {
            if plan.parallel > 0 {
                notes.append("parallel \(plan.parallel): no other instance was free, so the session's instance rendered every view")
            }
            items = passes.map { WorkItem(pass: $0, indices: nil) }
            snapshotDone = true
        }
        pump()
    }

    /// Hands the next items to idle instances; finishes when nothing is left or running.
    private func pump() {
        guard !finished else { return }
        if let failure {
            if !sessionBusy && !extras.contains(where: \.busy) { finish(failure) }
            return
        }
        if !sessionBusy, !items.isEmpty {
            runOnSession(items.removeFirst())
        }
        for extra in extras where extra.ready && !extra.busy && !items.isEmpty && failure == nil {
            runOnExtra(extra, items.removeFirst())
        }
        if items.isEmpty { withdrawWaitingExtras() }
        guard !finished, failure == nil, items.isEmpty, !sessionBusy, !extras.contains(where: \.busy) else { return }
        // Every view is rendered; the reply follows the last image out.
        delivery.whenDelivered { [weak self] in self?.finish(nil) }
    }

    private func remainingMilliseconds() -> Int {
        let now = table.loop.nowMilliseconds
        return Int(clamping: deadlineMilliseconds > now ? deadlineMilliseconds - now : 1)
    }

    private func runOnSession(_ item: WorkItem) {
        sessionBusy = true
        session.phase = .leasing
        table.withInstance(session) { [weak self] leased in
            guard let self else { return }
            let instance: Instance
            switch leased {
            case .failure(let error):
                self.sessionBusy = false
                return self.fail(error)
            case .success(let found): instance = found
            }
            let output: ScratchDirectory
            do { output = try self.renderDirectory(for: instance) } catch {
                self.sessionBusy = false
                return self.fail(SessionTable.storageError("cannot prepare the render directory in the workspace", error))
            }
            instance.onNotification = self.notificationHandler(instance: instance, output: output)
            let params = self.plan.workerParams(pass: item.pass, indices: item.indices, outputDirectory: output.path)
            self.table.runRaw(self.session, method: RenderViews.name, params: RawJSON(params), timeoutMilliseconds: self.remainingMilliseconds()) { result in
                instance.onNotification = nil
                self.sessionBusy = false
                switch result {
                case .success(let raw): self.absorb(raw.value, pass: item.pass, from: instance, in: output)
                case .failure(let error): self.fail(self.clientError(error))
                }
                self.pump()
            }
        }
    }

    private func runOnExtra(_ extra: Extra, _ item: WorkItem) {
        guard let output = extra.scratch else { return }
        extra.busy = true
        let params = plan.workerParams(pass: item.pass, indices: item.indices, outputDirectory: output.path)
        extra.instance.callRaw(RenderViews.name, params: params, timeoutMilliseconds: remainingMilliseconds()) { [weak self] result in
            guard let self else { return }
            extra.busy = false
            guard !self.finished, self.failure == nil else { return self.pump() }
            switch result {
            case .success(let raw):
                self.absorb(raw.value, pass: item.pass, from: extra.instance, in: output)
            case .failure(let error) where error.code == .instanceCrashed || error.code == .timeout:
                // The extra is gone; its view goes back to the queue once (a view that kills two
                // instances would kill the session's too).
                self.drop(extra, reason: error.message)
                guard item.attempts == 0, self.table.loop.nowMilliseconds < self.deadlineMilliseconds else {
                    return self.fail(error.adding(["session": .string(self.session.id), "method": .string(RenderViews.name)]))
                }
                var retry = item
                retry.attempts += 1
                self.items.insert(retry, at: 0)
            case .failure(let error):
                self.fail(self.clientError(error))
            }
            self.pump()
        }
    }

    /// Worker notifications during a call: progress is forwarded if the client keeps up, each
    /// image is taken out of the instance's render directory and delivered.
    private func notificationHandler(instance: Instance, output: ScratchDirectory) -> (String, JSONValue?) -> Void {
        { [weak self, weak instance] method, params in
            guard let self, let instance, !self.finished, self.failure == nil, !self.stopping, let params = params?.objectValue else { return }
            switch method {
            case StreamNotification.renderProgress: self.progress(params, from: instance)
            case StreamNotification.renderImage: self.image(params, from: instance, in: output)
            default: self.logger.debug("ignored worker notification \(method) during render.views")
            }
        }
    }

    private func progress(_ params: [String: JSONValue], from instance: Instance) {
        guard let index = params["index"]?.intValue else { return }
        if instance === session.instance, let elapsed = params["elapsed_ms"]?.doubleValue, elapsed >= 0 {
            let now = table.loop.nowMilliseconds
            viewStartedMilliseconds = now - min(now, UInt64(elapsed))
        }
        let pass = params["pass"]?.stringValue ?? "final"
        var order = progressOrder[pass] ?? [:]
        if order[index] == nil { order[index] = order.count + 1 }
        progressOrder[pass] = order
        var out = envelope()
        out["index"] = .number(JSONNumber(index))
        out["view"] = .number(JSONNumber(order[index] ?? 1))
        out["views"] = .number(JSONNumber(plan.viewCount))
        out["pass"] = .string(pass)
        out["instance"] = .string(instance.id)
        for key in ["elapsed_ms", "samples_done", "samples_total", "stage"] where params[key] != nil && params[key] != .null {
            out[key] = params[key]
        }
        delivery.sendEphemeral(StreamNotification.renderProgress, params: out)
    }

    private func image(_ params: [String: JSONValue], from instance: Instance, in output: ScratchDirectory) {
        guard let path = params["path"]?.stringValue, let index = params["index"]?.intValue else {
            logger.warning("render.image without path or index from \(instance.id)")
            return
        }
        let name = String(path.split(separator: "/").last ?? "")
        guard !name.isEmpty, path == output.file(name) else {
            // The worker writes where it was told; anything else is not taken.
            logger.warning("render.image for \(path), outside \(output.path); ignored")
            return
        }
        let pass = params["pass"]?.stringValue ?? "final"
        let position = (imageCount[pass] ?? 0) + 1
        imageCount[pass] = position
        var image = RenderedImage(
            index: index, width: params["width"]?.intValue ?? 0, height: params["height"]?.intValue ?? 0,
            mime: params["mime"]?.stringValue ?? "application/octet-stream", engine: params["engine"]?.stringValue ?? plan.engine,
            device: params["device"]?.stringValue ?? "", durationMs: params["duration_ms"]?.doubleValue ?? 0,
            bytes: params["bytes"]?.intValue ?? 0, pass: pass, camera: params["camera"]?.stringValue ?? "",
            orbit: params["orbit"], instance: instance.id, path: nil)
        var out = envelope()
        if case .object(let members) = (try? JSONValueEncoder().encode(image)) ?? .null { out.merge(members) { _, new in new } }
        out["view"] = .number(JSONNumber(position))
        out["views"] = .number(JSONNumber(plan.viewCount))
        do {
            let taken = try delivery.announce(name, in: output, method: StreamNotification.renderImage, params: out, mime: image.mime)
            image.path = taken.path
            if let bytes = taken.bytes { image.bytes = bytes }
        } catch {
            fail(RPCError(code: .renderError, data: [
                "reason": .string("the rendered file cannot be delivered: \(error)"), "engine": .string(image.engine),
                "index": .number(JSONNumber(index)), "session": .string(session.id),
            ]))
            return
        }
        if pass == "preview" { previews[index] = image } else { finals[index] = image }
        if instance === session.instance { slowestViewMilliseconds = max(slowestViewMilliseconds, image.durationMs) }
    }

    /// How much longer the session's instance's current view should take, judged by the slowest
    /// view so far, at most `maxViewWaitMilliseconds`; 0 when nothing is known. A worker that
    /// can only stop between views (Blender 3.4) then answers -32006 and keeps its instance
    /// instead of being terminated a moment before it would have stopped.
    func viewRemainderMilliseconds() -> Int {
        guard slowestViewMilliseconds > 0, let started = viewStartedMilliseconds else { return 0 }
        let now = table.loop.nowMilliseconds
        let remaining = slowestViewMilliseconds - Double(now - min(now, started))
        return max(0, min(Self.maxViewWaitMilliseconds, Int(remaining.rounded(.up)) + 250))
    }

    /// Past this, terminating and restoring the session is quicker than waiting for the view.
    static let maxViewWaitMilliseconds = 10_000

    /// The `session` and `request` members every notification of this render carries.
    private func envelope() -> [String: JSONValue] {
        ["session": .string(session.id), "request": request?.json ?? .null]
    }

    /// Merges one call's result: the final pass says what was used, previews only add images.
    private func absorb(_ result: JSONValue, pass: String, from instance: Instance, in output: ScratchDirectory) {
        guard !finished else { return }
        if !instancesUsed.contains(instance.id) { instancesUsed.append(instance.id) }
        // A worker that sends no notifications (an attached GUI's) still lists its images:
        // whatever was not announced is delivered now.
        for image in result["images"]?.arrayValue ?? [] {
            guard let index = image["index"]?.intValue, let object = image.objectValue else { continue }
            let announced = (image["pass"]?.stringValue ?? pass) == "preview" ? previews[index] : finals[index]
            if announced == nil, failure == nil, !stopping { self.image(object, from: instance, in: output) }
        }
        for note in result["notes"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !notes.contains(note) {
            notes.append(note)
        }
        for (key, value) in result["added"]?.objectValue ?? [:] {
            added[key] = (added[key] ?? false) || (value.boolValue ?? false)
        }
        guard pass == "final" else {
            if summary.isEmpty { summary = result.objectValue ?? [:] }
            return
        }
        if summary["pass"]?.stringValue != "final" { summary = result.objectValue ?? [:] }
        for index in result["indices"]?.arrayValue?.compactMap(\.intValue) ?? [] { indicesRendered.insert(index) }
    }

    // MARK: Parallel

    private var extraOwner: String { session.id + "/render" }

    private func leaseExtra() {
        let promised = table.pool.acquireIfFree(session.requirements, owner: extraOwner, client: connection.id) { [weak self, pool = table.pool] result in
            guard case .success(let instance) = result else { return }
            guard let self, !self.finished, self.failure == nil, !self.items.isEmpty else {
                // Too late (everything is rendered or being rendered, or the job is over): the
                // pool gets it back at once.
                return pool.release(instance)
            }
            let extra = Extra(instance: instance)
            self.extras.append(extra)
            self.extrasLeased += 1
            self.prepare(extra)
        }
        if promised { extrasPromised += 1 }
    }

    /// Every view is rendered or rendering: helpers still being spawned would come too late.
    private func withdrawWaitingExtras() {
        guard extrasPromised > extrasLeased else { return }
        let withdrawn = table.pool.withdrawWaiting(owner: extraOwner)
        extrasPromised -= withdrawn
    }

    /// The snapshot goes into the extra's workspace and is loaded there; then it takes views.
    private func prepare(_ extra: Extra) {
        guard snapshotDone else { return }  // takeSnapshot prepares the ones waiting
        guard let snapshot else { return drop(extra, reason: "no snapshot of the session's scene") }
        let name = "render-\(sequence)-snapshot.blend"
        let scratch: ScratchDirectory
        do {
            scratch = try table.scratchDirectory(for: extra.instance, session: session)
            try scratch.copy(from: snapshot, to: name)
            extra.scratch = try renderDirectory(for: extra.instance)
        } catch {
            logger.warning("cannot give \(extra.instance.id) the scene: \(error)")
            return drop(extra, reason: "\(error)")
        }
        extra.instance.onNotification = notificationHandler(instance: extra.instance, output: extra.scratch ?? scratch)
        extra.busy = true
        extra.instance.call("checkpoint.load", params: ["path": .string(scratch.file(name))],
                            timeoutMilliseconds: session.execTimeoutMilliseconds) { [weak self] result in
            scratch.remove(name)
            scratch.close()
            extra.busy = false
            guard let self else { return }
            guard !self.finished else { return }
            switch result {
            case .success:
                extra.ready = true
            case .failure(let error):
                self.logger.warning("\(extra.instance.id) could not load the scene: \(error)")
                self.drop(extra, reason: error.message)
            }
            self.pump()
        }
    }

    /// A copy of the session's scene as it is now, for the extras: saved by the session's
    /// instance into its workspace, then moved into the session's directory.
    private func takeSnapshot() {
        sessionBusy = true
        session.phase = .finishing
        let finish: (String?) -> Void = { [weak self] path in
            guard let self else { return }
            self.sessionBusy = false
            self.snapshot = path
            self.snapshotDone = true
            if path == nil {
                for extra in self.extras { self.drop(extra, reason: "no snapshot") }
            } else {
                for extra in self.extras where extra.scratch == nil { self.prepare(extra) }
            }
            self.pump()
        }
        table.withInstance(session) { [weak self] leased in
            guard let self else { return }
            guard case .success(let instance) = leased else { return finish(nil) }
            let name = "render-\(self.sequence)-snapshot.blend"
            let scratch: ScratchDirectory
            do {
                scratch = try self.table.scratchDirectory(for: instance, session: self.session)
                scratch.remove(name)
            } catch {
                self.logger.warning("no snapshot for parallel rendering: \(error)")
                return finish(nil)
            }
            instance.call("checkpoint.save", params: ["path": .string(scratch.file(name))],
                          timeoutMilliseconds: self.session.execTimeoutMilliseconds) { result in
                defer { scratch.close() }
                switch result {
                case .success:
                    let host = self.delivery.hostDirectory + "-snapshot.blend"
                    do {
                        try FileManager.default.createDirectory(atPath: (host as NSString).deletingLastPathComponent,
                                                                withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                        try scratch.moveOut(name, to: host)
                        finish(host)
                    } catch {
                        self.logger.warning("no snapshot for parallel rendering: \(error)")
                        finish(nil)
                    }
                case .failure(let error):
                    scratch.remove(name)
                    self.logger.warning("no snapshot for parallel rendering: \(error)")
                    if error.code == .timeout || error.code == .instanceCrashed {
                        // As for a checkpoint: the next call leases a fresh instance and restores.
                        if self.session.instance === instance { self.session.instance = nil }
                        self.session.needsRestore = true
                    }
                    finish(nil)
                }
            }
        }
    }

    private func drop(_ extra: Extra, reason: String) {
        guard let position = extras.firstIndex(where: { $0 === extra }) else { return }
        extras.remove(at: position)
        extra.instance.onNotification = nil
        logger.info("render.views continues without \(extra.instance.id): \(reason)")
        if extra.instance.lease != nil { table.pool.release(extra.instance) }
    }

    // MARK: Ending

    /// request.cancel, or the client disconnected. True when the job is answered (or will be as
    /// soon as a non-interruptible step ends); false when the session's instance is rendering:
    /// the caller interrupts it (SIGINT, then SIGTERM, then SIGKILL) and its call ends the job.
    func cancel() -> Bool {
        guard !finished else { return true }
        items = []
        for extra in extras { drop(extra, reason: "cancelled") }
        if sessionBusy, session.phase == .calling || session.phase == .leasing {
            stopping = true
            return false
        }
        failure = failure ?? RPCError(code: .cancelled, data: [
            "reason": "request.cancel", "stage": "interrupted", "session": .string(session.id),
        ])
        pump()
        return true
    }

    /// A failure ends the job once the session's own call (if one runs) has come back; other
    /// instances are let go at once.
    private func fail(_ error: RPCError) {
        guard !finished else { return }
        if failure == nil { failure = error }
        items = []
        for extra in extras where extra.busy { drop(extra, reason: "the render failed") }
        pump()
    }

    /// A worker error as the client should see it (its -32602 names the client's param; its
    /// -32011 lists what was delivered, not workspace paths).
    private func clientError(_ error: RPCError) -> RPCError {
        if [.invalidParams, .invalidRequest, .methodNotFound, .parseError].contains(error.code) {
            return SessionTable.clientError(fromWorker: error, method: RenderViews.name)
        }
        guard error.code == .renderError else { return error }
        var data = error.data?.objectValue ?? [:]
        data.removeValue(forKey: "images")  // workspace paths (`= nil` would store JSON null)
        data["delivered"] = .array(finals.keys.sorted().map { .number(JSONNumber($0)) })
        data["session"] = .string(session.id)
        return RPCError(code: error.code, message: error.message, data: .object(data))
    }

    private func finish(_ failure: RPCError?) {
        guard !finished else { return }
        finished = true
        session.callsInFlight -= 1
        table.pool.withdrawWaiting(owner: extraOwner)
        for extra in extras { drop(extra, reason: "the render is over") }
        for (_, directories) in renderDirectories {
            directories.child.close()
            directories.parent.removeDirectory(directories.child.path.split(separator: "/").last.map(String.init) ?? "")
            directories.parent.close()
        }
        renderDirectories = [:]
        if let snapshot { try? FileManager.default.removeItem(atPath: snapshot) }
        if session.render === self { session.render = nil }
        if let failure {
            delivery.discard()
            reply(.failure(failure))
        } else {
            reply(.success(result()))
        }
        done()
    }

    private func result() -> RenderViews.Result {
        let firstImage = delivery.firstSentMilliseconds.map { Double($0 - min($0, startedMilliseconds)) }
        return RenderViews.Result(
            images: finals.keys.sorted().compactMap { finals[$0] },
            previews: plan.preview ? previews.keys.sorted().compactMap { previews[$0] } : nil,
            engine: summary["engine"]?.stringValue ?? plan.engine, device: summary["device"]?.stringValue ?? "",
            denoise: summary["denoise"] ?? .null,
            durationMs: Double(table.loop.nowMilliseconds - startedMilliseconds),
            added: .object(added.mapValues { .bool($0) }),
            views: summary["views"]?.intValue ?? plan.viewCount, indices: indicesRendered.sorted(),
            resolution: summary["resolution"]?.arrayValue?.compactMap(\.intValue) ?? plan.resolution,
            format: summary["format"]?.stringValue ?? "PNG", samples: summary["samples"]?.intValue,
            notes: notes + parallelNotes(), instances: renderedBy(), delivery: plan.delivery.rawValue, firstImageMs: firstImage)
    }

    /// The instances that rendered, the session's first.
    private func renderedBy() -> [String] {
        guard let own = session.instance?.id, let index = instancesUsed.firstIndex(of: own) else { return instancesUsed }
        var ordered = instancesUsed
        ordered.remove(at: index)
        return [own] + ordered
    }

    private func parallelNotes() -> [String] {
        guard plan.parallel > 0, !notes.contains(where: { $0.hasPrefix("parallel ") }) else { return [] }
        let helpers = renderedBy().filter { $0 != session.instance?.id }.count
        guard helpers < plan.parallel else { return [] }
        return ["parallel \(plan.parallel): \(helpers) more instance\(helpers == 1 ? "" : "s") rendered (only as many as were free or could be spawned at once); the session's instance rendered the rest"]
    }

    // MARK: Files

    /// `<workspace>/.blenderd/render-<n>-<instance>/`, made once per instance and removed at the end.
    private func renderDirectory(for instance: Instance) throws(ScratchError) -> ScratchDirectory {
        if let made = renderDirectories[instance.id] { return made.child }
        let parent = try table.scratchDirectory(for: instance, session: session)
        let name = "render-\(sequence)-\(instance.id)"
        parent.removeDirectory(name)  // whatever a script left under that name
        let child = try parent.subdirectory(name)
        renderDirectories[instance.id] = (parent, child)
        return child
    }
}
