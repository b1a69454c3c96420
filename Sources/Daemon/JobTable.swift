import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC
import Logging
import UVCore

#if canImport(Glibc)
import Glibc
#endif

/// Every farm job of the daemon (`job.*`): leasing instances for their chunks, running a chunk
/// (load the job's scene, `render.frames`, move each frame's file out of the workspace as the
/// worker announces it), retries, cancellation, progress. Jobs live in memory only: a daemon
/// restart forgets them (and clears `<state>/jobs`).
///
/// Sharing the pool. A job leases through the pool's fair queue like a session, as one client
/// (the submitting connection): it keeps at most one acquire waiting, so a client's sessions and
/// other clients get their round-robin turns between its chunks. Jobs together hold at most
/// `maxInstances` instances while nobody else waits, and stop leasing more once they hold
/// max(1, maxInstances − 1) while a session (or anyone else) waits: each chunk that ends then
/// hands its instance's slot to the waiter instead of taking it back. A job never preempts a
/// chunk for a session; the wait for a slot is at most one chunk's render.
final class JobTable {
    let pool: InstancePool
    let loop: EventLoop
    let logger: Logger
    let state: StateDirectory
    /// job.cancel: SIGINT, then SIGTERM after this, then SIGKILL after as long again.
    let cancelGraceMilliseconds: Int
    private(set) var jobs: [String: Job] = [:]
    /// Submission order: scheduling goes through jobs in it, retention forgets the oldest.
    private var order: [String] = []
    private var tickTimer: UVCore.Timer?
    private var isScheduling = false
    private var scheduleRequested = false
    private var nextSyntheticClient = -1
    private var isShutDown = false
    /// Loop time before which a job does not ask the pool again (the queue was full).
    private var backoffUntil: [String: UInt64] = [:]
    /// Subscribers (events.subscribe) get job.progress and job.frame too.
    var events: EventBus?

    /// Runs of one chunk before its frames are reported failed.
    static let maxTries = 3
    static let loadTimeoutMilliseconds = 120_000
    /// job.progress is due at least once a second; ticking twice as often keeps it so.
    static let progressIntervalMilliseconds = 500
    /// Finished jobs kept for job.status; older ones are forgotten (their files stay until the
    /// daemon restarts).
    static let keepFinished = 256

    init(pool: InstancePool, loop: EventLoop, logger: Logger, state: StateDirectory, cancelGraceMilliseconds: Int) {
        self.pool = pool
        self.loop = loop
        self.logger = logger
        self.state = state
        self.cancelGraceMilliseconds = cancelGraceMilliseconds
    }

    // MARK: Submitting

    /// Adds `job` and asks for its first instance. Returns the error when the pool says at once
    /// that nothing can ever run it (-32002); the job is then forgotten and its files removed.
    func submit(_ job: Job) -> RPCError? {
        jobs[job.id] = job
        order.append(job.id)
        logger.info("job submitted", metadata: [
            "job": "\(job.id)", "frames": "\(job.frames.count)", "chunks": "\(job.chunkCount)",
            "requirements": "\(JSON.string(job.requirements.json))",
        ])
        schedule()
        if let error = job.startError {
            jobs[job.id] = nil
            order.removeAll { $0 == job.id }
            try? FileManager.default.removeItem(atPath: job.directory)
            return error
        }
        startTicking()
        return nil
    }

    /// The client has the job id: notifications may flow.
    func announce(_ job: Job) {
        job.announced = true
        sendProgress(job)
    }

    // MARK: Scheduling

    /// Asks the pool for instances for jobs with chunks waiting, within the jobs' share.
    /// Re-entrancy safe: an acquire can complete before `pool.acquire` returns.
    func schedule() {
        if isScheduling {
            scheduleRequested = true
            return
        }
        isScheduling = true
        defer { isScheduling = false }
        repeat {
            scheduleRequested = false
            let now = loop.nowMilliseconds
            for id in order {
                guard let job = jobs[id], job.isActive, !job.pending.isEmpty, job.acquiring == 0,
                      (backoffUntil[id] ?? 0) <= now, held + acquiring < share else { continue }
                acquire(for: job)
            }
        } while scheduleRequested
    }

    /// Instances jobs hold now.
    private var held: Int { jobs.values.reduce(0) { $0 + $1.running.count } }
    /// Acquires jobs have waiting in the pool.
    private var acquiring: Int { jobs.values.reduce(0) { $0 + $1.acquiring } }

    /// How many instances jobs may hold (and wait for) together: all while nobody else waits,
    /// else one fewer (never none, or a daemon with one instance could not run jobs at all).
    private var share: Int {
        let maximum = max(1, pool.configuration.maxInstances)
        let othersWaiting = pool.waitingCount - acquiring
        return othersWaiting > 0 ? max(1, maximum - 1) : maximum
    }

    private func acquire(for job: Job) {
        job.acquiring += 1
        pool.acquire(job.requirements, owner: job.owner, client: job.client) { [weak self, job] result in
            job.acquiring -= 1
            guard let self else { return }
            switch result {
            case .success(let instance):
                guard job.isActive, !job.pending.isEmpty, !isShutDown else {
                    pool.release(instance)
                    return schedule()
                }
                // A retried chunk goes to an instance it has not failed on, where there is a choice.
                let index = job.pending.firstIndex { !$0.failedOn.contains(instance.id) } ?? 0
                let chunk = job.pending.remove(at: index)
                start(chunk, of: job, on: instance)
            case .failure(let error):
                acquireFailed(job, error)
            }
        }
    }

    private func acquireFailed(_ job: Job, _ error: RPCError) {
        let reason = error.data?["reason"]?.stringValue
        switch error.code {
        case .cancelled where reason == "client_left":
            // The submitting connection closed and the pool dropped its waiting acquires; the
            // job goes on as a client of its own.
            job.client = syntheticClient()
            schedule()
        case .noInstance:
            // Nothing configured can ever run it: its chunks not yet started cannot render.
            let why = "no instance can render this job: \(reason ?? error.message)"
            if job.announced {
                logger.error("\(why)", metadata: ["job": "\(job.id)"])
            } else {
                // Not a job yet: job.submit answers with the error.
                job.startError = error
            }
            failPending(job, reason: why)
            finishIfDone(job)
        case .overloaded where reason != "shutting_down":
            // The wait queue is full: ask again in a second.
            let seconds = error.data?["retry_after"]?.doubleValue ?? 1
            backoffUntil[job.id] = loop.nowMilliseconds + UInt64(max(0.2, min(seconds, 30)) * 1000)
        default:
            guard job.isActive, !isShutDown else { return }
            logger.warning("job could not lease an instance: \(error.message)", metadata: ["job": "\(job.id)"])
            backoffUntil[job.id] = loop.nowMilliseconds + 1000
        }
    }

    private func syntheticClient() -> Int {
        // Below every connection id and the 0 detached sessions use.
        defer { nextSyntheticClient -= 1 }
        return nextSyntheticClient
    }

    // MARK: Running a chunk

    private func start(_ chunk: JobChunk, of job: Job, on instance: Instance) {
        if job.state == .queued {
            job.state = .running
            sendProgress(job)
        }
        // A sandboxed worker reads and writes its workspace only; an unsandboxed one gets a
        // directory of the job's (ScratchDirectory never follows links in either).
        var privateBase: String?
        let scratch: ScratchDirectory
        do {
            if instance.workspace == nil {
                let base = job.directory + "/work-" + instance.id
                try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                privateBase = base
            }
            scratch = try ScratchDirectory(base: instance.workspace ?? privateBase ?? job.directory)
            try scratch.copy(from: job.scenePath, to: Self.sceneName)
        } catch {
            logger.error("cannot give the job's scene to \(instance.id): \(error)", metadata: ["job": "\(job.id)"])
            pool.release(instance)
            if let privateBase { try? FileManager.default.removeItem(atPath: privateBase) }
            retryOrFail(chunk, of: job, on: instance, reason: "cannot copy the scene into the instance's workspace: \(error)")
            schedule()
            finishIfDone(job)
            return
        }
        let run = RunningChunk(chunk: chunk, instance: instance, scratch: scratch, privateBase: privateBase)
        job.running[instance.id] = run
        logger.debug("chunk \(chunk.number) (frames \(chunk.frames.first ?? 0)–\(chunk.frames.last ?? 0), try \(chunk.tries + 1)) on \(instance.id)",
                     metadata: ["job": "\(job.id)"])
        instance.call("scene.load", params: ["path": .string(scratch.file(Self.sceneName))],
                      timeoutMilliseconds: Self.loadTimeoutMilliseconds) { [weak self] result in
            run.scratch.remove(Self.sceneName)
            guard let self else { return }
            switch result {
            case .failure(let error):
                chunkEnded(run, of: job, error: error, stage: "scene.load")
            case .success where !job.isActive:
                chunkEnded(run, of: job, error: nil, stage: "scene.load")
            case .success:
                render(run, of: job)
            }
        }
    }

    static let sceneName = "job.blend"

    private func render(_ run: RunningChunk, of job: Job) {
        let instance = run.instance
        instance.onNotification = { [weak self, weak run, weak job] method, params in
            guard let self, let run, let job, method == "render.frame", let frame = params?["frame"]?.intValue else { return }
            take(frame, params ?? [:], from: run, of: job)
        }
        let params = job.settings.workerParams(frames: run.chunk.frames, outputDirectory: run.scratch.path)
        instance.call("render.frames", params: params, timeoutMilliseconds: job.settings.timeoutMilliseconds) { [weak self] result in
            instance.onNotification = nil
            guard let self else { return }
            switch result {
            case .success(let value):
                // Normally every frame was announced already; a notification that went missing
                // is made up for from the result.
                for entry in value["frames"]?.arrayValue ?? [] {
                    if let frame = entry["frame"]?.intValue, job.done[frame] == nil { take(frame, entry, from: run, of: job) }
                }
                chunkEnded(run, of: job, error: nil, stage: "render.frames")
            case .failure(let error):
                chunkEnded(run, of: job, error: error, stage: "render.frames")
            }
        }
    }

    /// A frame's file exists in the worker's scratch directory: move it into the frames
    /// directory (the one place a frame becomes done) and tell the client.
    private func take(_ frame: Int, _ params: JSONValue, from run: RunningChunk, of job: Job) {
        guard run.chunk.frames.contains(frame), job.done[frame] == nil else {
            logger.warning("ignored render.frame \(frame): not in the chunk, or done already", metadata: ["job": "\(job.id)"])
            return
        }
        let name = job.fileName(frame)
        let destination = job.framesDirectory + "/" + name
        // A file of an earlier job in the same directory is replaced (moveOut creates exclusively).
        _ = unlink(destination)
        do { try run.scratch.moveOut(name, to: destination) } catch {
            // Left undone: the chunk's retry renders it again.
            logger.error("cannot move frame \(frame) out of \(run.instance.id)'s workspace: \(error)", metadata: ["job": "\(job.id)"])
            return
        }
        job.done[frame] = DoneFrame(path: destination, instance: run.instance.id)
        var info = stat()
        let bytes = stat(destination, &info) == 0 ? Int(info.st_size) : (params["bytes"]?.intValue ?? 0)
        notify(job, JobFrame.self, JobFrame.Params(
            job: job.id, frame: frame, path: destination, width: params["width"]?.intValue ?? 0,
            height: params["height"]?.intValue ?? 0, bytes: bytes,
            mime: params["mime"]?.stringValue ?? job.settings.format.mime, instance: run.instance.id,
            durationMs: params["duration_ms"]?.doubleValue ?? 0), file: destination)
    }

    /// The chunk's instance is done with it, well or not: the instance goes back to the pool and
    /// the frames that are not done are retried elsewhere, or reported failed.
    private func chunkEnded(_ run: RunningChunk, of job: Job, error: RPCError?, stage: String) {
        let instance = run.instance
        guard job.running[instance.id] === run else { return }
        job.running[instance.id] = nil
        run.cancelTimer?.close(nil)
        run.cancelTimer = nil
        run.scratch.close()
        if let base = run.privateBase { try? FileManager.default.removeItem(atPath: base) }
        pool.release(instance)
        var chunk = run.chunk
        chunk.frames = chunk.frames.filter { job.done[$0] == nil && job.failed[$0] == nil }
        if job.isActive, !chunk.frames.isEmpty {
            if let error, [.invalidParams, .methodNotFound, .invalidRequest].contains(error.code) {
                // The worker refused the job's params (no camera, an engine this Blender lacks):
                // every chunk would fail the same way.
                let why = "\(stage) refused the job: \(error.message)"
                logger.error("\(why)", metadata: ["job": "\(job.id)", "instance": "\(instance.id)"])
                job.reason = job.reason ?? why
                for frame in chunk.frames { job.failed[frame] = why }
                failPending(job, reason: why)
            } else {
                let why = error.map { "\(stage) on \(instance.id): \($0.message)" }
                    ?? "\(stage) on \(instance.id) finished without the files of frames \(chunk.frames.map(String.init).joined(separator: ","))"
                logger.warning("chunk \(chunk.number) failed: \(why)", metadata: ["job": "\(job.id)"])
                retryOrFail(chunk, of: job, on: instance, reason: why)
            }
        }
        schedule()
        finishIfDone(job)
    }

    private func retryOrFail(_ chunk: JobChunk, of job: Job, on instance: Instance, reason: String) {
        var chunk = chunk
        chunk.tries += 1
        chunk.failedOn.insert(instance.id)
        guard job.isActive else { return }
        if chunk.tries >= Self.maxTries {
            for frame in chunk.frames { job.failed[frame] = "failed \(chunk.tries) times; last: \(reason)" }
        } else {
            job.retries += 1
            job.pending.insert(chunk, at: 0)
        }
    }

    private func failPending(_ job: Job, reason: String) {
        for chunk in job.pending {
            for frame in chunk.frames where job.done[frame] == nil { job.failed[frame] = reason }
        }
        job.pending = []
        job.reason = job.reason ?? reason
    }

    /// Ends the job once nothing of it runs or waits: done if every frame is, else failed;
    /// a cancelled job is cleaned up when its last chunk has stopped.
    private func finishIfDone(_ job: Job) {
        guard job.running.isEmpty, job.pending.isEmpty, !job.finished else { return }
        if job.isActive {
            job.state = job.failed.isEmpty ? .done : .failed
            if job.state == .failed, job.reason == nil { job.reason = "\(job.failed.count) frames failed" }
            job.endedAt = Date()
            job.endedNanoseconds = EventLoop.hrtimeNanoseconds()
            sendProgress(job)
        }
        job.finished = true
        backoffUntil[job.id] = nil
        // The scene copy is no longer needed; the frames stay.
        try? FileManager.default.removeItem(atPath: job.scenePath)
        logger.info("job ended", metadata: [
            "job": "\(job.id)", "state": "\(job.state.rawValue)", "done": "\(job.done.count)", "failed": "\(job.failed.count)",
            "retries": "\(job.retries)", "elapsed_s": "\(String(format: "%.1f", job.elapsedMilliseconds / 1000))",
        ])
        forgetOldJobs()
        if !jobs.values.contains(where: { $0.isActive }) { stopTicking() }
    }

    private func forgetOldJobs() {
        let finished = order.filter { jobs[$0]?.finished == true }
        guard finished.count > Self.keepFinished else { return }
        for id in finished.prefix(finished.count - Self.keepFinished) {
            jobs[id] = nil
            order.removeAll { $0 == id }
        }
    }

    // MARK: Status and cancel

    func status(_ id: String) -> Result<JobStatus.Result, RPCError> {
        guard let job = jobs[id] else { return .failure(Self.unknown(id)) }
        return .success(job.status)
    }

    /// Stops the job: chunks waiting are dropped, chunks in flight get SIGINT (the worker stops
    /// after the frame it is on), SIGTERM and SIGKILL if they do not end within the grace
    /// periods; their instances go back to the pool as their calls end. Frames already moved
    /// stay done.
    func cancel(_ id: String, reason: String = "job.cancel") -> Result<JobCancel.Result, RPCError> {
        guard let job = jobs[id] else { return .failure(Self.unknown(id)) }
        guard job.isActive else { return .success(JobCancel.Result(cancelled: false, state: job.state.rawValue)) }
        job.state = .cancelled
        job.reason = reason
        job.endedAt = Date()
        job.endedNanoseconds = EventLoop.hrtimeNanoseconds()
        job.pending = []
        logger.info("job cancelled", metadata: ["job": "\(job.id)", "reason": "\(reason)", "running": "\(job.running.count)"])
        for run in job.running.values { interrupt(run, of: job) }
        sendProgress(job)
        finishIfDone(job)
        return .success(JobCancel.Result(cancelled: true, state: job.state.rawValue))
    }

    private func interrupt(_ run: RunningChunk, of job: Job) {
        run.instance.signalWorker(SIGINT)
        guard let timer = try? UVCore.Timer(loop: loop) else {
            run.instance.kill(reason: "job.cancel (no timer for the grace period)")
            return
        }
        run.cancelTimer = timer
        var stage = 0
        try? timer.start(after: cancelGraceMilliseconds, repeat: cancelGraceMilliseconds) { [weak self, weak run, weak job] in
            guard let run, let job, job.running[run.instance.id] === run, run.instance.state != .dead else {
                run?.cancelTimer?.close(nil)
                run?.cancelTimer = nil
                return
            }
            stage += 1
            if stage == 1 {
                self?.logger.warning("job.cancel: the render did not stop on SIGINT; SIGTERM", metadata: ["job": "\(job.id)"])
                run.instance.signalWorker(SIGTERM)
            } else {
                run.instance.kill(reason: "job.cancel: the render did not stop")
                run.cancelTimer?.close(nil)
                run.cancelTimer = nil
            }
        }
    }

    static func unknown(_ id: String) -> RPCError {
        .invalidParams(path: "params.job", reason: "no job \(id) (jobs are forgotten when the daemon restarts)")
    }

    // MARK: Connections and shutdown

    /// The submitting connection closed: its jobs go on, as clients of their own in the queue.
    func connectionClosed(_ connection: ClientConnection) {
        for job in jobs.values where job.isActive && job.client == connection.id {
            job.client = syntheticClient()
        }
    }

    /// Daemon shutdown: jobs are cancelled (they do not survive a restart); the pool stops their
    /// instances, and the chunks' calls end with them.
    func shutdown() {
        isShutDown = true
        for id in order where jobs[id]?.isActive == true { _ = cancel(id, reason: "daemon shutdown") }
        for job in jobs.values {
            for run in job.running.values {
                run.cancelTimer?.close(nil)
                run.cancelTimer = nil
            }
        }
        stopTicking()
    }

    // MARK: Progress

    private func startTicking() {
        guard tickTimer == nil, !isShutDown else { return }
        do {
            let timer = try UVCore.Timer(loop: loop)
            try timer.start(after: Self.progressIntervalMilliseconds, repeat: Self.progressIntervalMilliseconds) { [weak self] in
                self?.tick()
            }
            tickTimer = timer
        } catch {
            logger.error("no job progress timer: job.progress will not be sent", metadata: ["error": "\(error)"])
        }
    }

    private func stopTicking() {
        tickTimer?.close(nil)
        tickTimer = nil
    }

    private func tick() {
        for id in order {
            if let job = jobs[id], job.isActive { sendProgress(job) }
        }
        // Jobs that backed off, or were held back while sessions waited, try again.
        schedule()
    }

    private func sendProgress(_ job: Job) {
        notify(job, JobProgress.self, job.progress)
    }

    /// `file`: the frame's file in frames_dir, delivered as job.submit's `delivery` asked.
    private func notify<N: RPCNotification>(_ job: Job, _ type: N.Type, _ params: N.Params, file: String? = nil) {
        guard job.announced else { return }
        events?.jobNotification(job.id, method: N.name, ended: !job.isActive) { try? JSONValueEncoder().encode(params) }
        guard job.connection != nil else { return }
        do {
            let members = try JSONValueEncoder().encode(params).objectValue ?? [:]
            if let file {
                job.outbox.sendFrame(N.name, params: members, path: file, mime: members["mime"]?.stringValue ?? "application/octet-stream")
            } else {
                job.outbox.send(N.name, params: members)
            }
        } catch {
            logger.error("cannot encode \(N.name): \(error)", metadata: ["job": "\(job.id)"])
        }
    }
}

extension FrameFormat {
    var mime: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .exr: "image/x-exr"
        }
    }
}
