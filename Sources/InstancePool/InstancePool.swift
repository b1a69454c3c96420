// The pool of Blender instances the daemon's sessions lease from (ARCHITECTURE.md, "Sessions
// lease instances"). It probes its launchers, keeps `warm` spares ready, spawns up to
// `maxInstances`, queues acquires fairly when full (InstancePool+Acquire.swift), resets instances
// between leases, recycles them after N jobs or above an RSS limit, replaces the ones that crash
// or time out, pings idle ones, and stops everything on shutdown. Loop thread only.

import JSONRPC
import Logging
import Sandbox
import UVCore

public final class InstancePool {
    public let configuration: PoolConfiguration
    let loop: EventLoop
    let logger: Logger

    /// Live instances (not dead), in creation order.
    public internal(set) var instances: [Instance] = []
    /// Per launcher (same order as `configuration.launchers`).
    public internal(set) var launcherStatuses: [LauncherStatus]
    /// Learned from each launcher's ready workers: engines and Cycles devices.
    var launcherFacts: [LauncherFacts]
    public internal(set) var gpuAssignment = GPUAssignment(devices: [])
    var gpuDetectionPending = false
    public internal(set) var statistics = PoolStatistics()

    /// State changes and deaths of every instance; the daemon's sessions react to these.
    public var onInstanceEvent: ((Instance, InstanceEvent) -> Void)?

    var queue = AcquireQueue<Waiter>()
    var nextInstanceNumber = 1
    var nextWaiterNumber = 1
    var evicting: Set<String> = []
    var isPumping = false
    var pumpRequested = false
    private(set) var isStarted = false
    public private(set) var isShuttingDown = false
    private var shutdownCompletions: [() -> Void] = []
    var spawnCompletions: [String: [(Result<Instance, RPCError>) -> Void]] = [:]
    var stopCompletions: [String: [(Result<Void, RPCError>) -> Void]] = [:]
    private var runners: [ObjectIdentifier: CommandRunner] = [:]
    private var healthTimer: UVCore.Timer?
    /// Per-instance process limits (PidsCgroup.swift); made at start when the pool sandboxes.
    private var pidsCgroup: Result<PidsCgroup, PidsCgroupError>?
    var queueTimer: UVCore.Timer?

    struct LauncherFacts {
        var engines: [String]?
        var devices: [WorkerInfo.Device] = []
        /// Workers of this launcher that died before worker.ready, in a row.
        var failedStarts = 0
    }

    /// After this many workers in a row die before worker.ready, a launcher is taken out of
    /// service (with the last reason logged) instead of being respawned forever.
    static let maxFailedStarts = 3

    public init(loop: EventLoop, configuration: PoolConfiguration, logger: Logger) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        launcherStatuses = configuration.launchers.map { _ in .probing }
        launcherFacts = configuration.launchers.map { _ in LauncherFacts() }
    }

    // MARK: Start

    /// Probes the launchers' Blender versions and GPUs (asynchronously), then keeps `warm`
    /// instances ready. Acquires made before the probes finish wait for them.
    public func start() {
        guard !isStarted else { return }
        isStarted = true
        logger.info("instance pool starting", metadata: [
            "launchers": "\(configuration.launchers.map(\.description))", "warm": "\(configuration.warm)",
            "max_instances": "\(configuration.maxInstances)",
        ])
        if configuration.launchers.isEmpty {
            logger.warning("no launchers: only attached GUI Blenders can serve sessions — pass --blender or --bpy-python")
        }
        startGPUDetection()
        if configuration.sandbox != nil {
            pidsCgroup = PidsCgroup.create()
            switch pidsCgroup {
            case .success(let cgroup)?:
                cgroup.removeStale()
                logger.info("process limits: a pids cgroup per instance under \(cgroup.parent)")
            case .failure(let error)?: logger.notice("no pids cgroup: \(error.reason); only RLIMIT_NPROC limits processes (not for root)")
            case nil: break
            }
        }
        for (index, launcher) in configuration.launchers.enumerated() {
            let runner = LauncherProbe.run(loop: loop, launcher: launcher, timeoutMilliseconds: configuration.probeTimeoutMilliseconds) {
                [weak self] status in self?.probeFinished(index, status)
            }
            if let runner { track(runner) }
        }
        if configuration.healthIntervalMilliseconds > 0 { startHealthChecks() }
        pump()
    }

    private func probeFinished(_ index: Int, _ status: LauncherStatus) {
        untrackFinishedRunners()
        guard !isShuttingDown else { return }
        let launcher = configuration.launchers[index]
        launcherStatuses[index] = status
        switch status {
        case .available(let version):
            logger.info("launcher available", metadata: ["launcher": "\(launcher)", "blender": "\(version)"])
        case .unavailable(let reason):
            logger.error("launcher unavailable: \(reason)", metadata: ["launcher": "\(launcher)"])
        case .probing:
            break
        }
        pump()
    }

    private func startGPUDetection() {
        switch configuration.gpus {
        case .none:
            return
        case .indices(let indices):
            let known = configuration.simulatedGPUs ?? []
            setGPUs(indices.map { index in
                known.first { $0.index == index } ?? GPUDevice(index: index, type: "CUDA", name: "GPU \(index)")
            })
        case .auto:
            if let simulated = configuration.simulatedGPUs {
                setGPUs(simulated)
                return
            }
            let searchPath = Launcher.daemonEnvironment()["PATH"] ?? "/usr/bin:/bin"
            guard let smi = Launcher.findExecutable("nvidia-smi", searchPath: searchPath) else {
                logger.info("--gpus auto: no nvidia-smi on PATH, so no GPUs; instances run on the CPU")
                return
            }
            gpuDetectionPending = true
            let spec = LaunchSpec(executable: smi, arguments: ["-L"], environment: ["PATH": searchPath, "LC_ALL": "C.UTF-8"])
            track(CommandRunner.run(loop: loop, spec: spec, timeoutMilliseconds: 15_000) { [weak self] result in
                guard let self else { return }
                untrackFinishedRunners()
                gpuDetectionPending = false
                switch result {
                case .success(let output) where output.status == .exited(0):
                    setGPUs(NvidiaSMI.parseList(output.stdout))
                case .success(let output):
                    logger.warning("nvidia-smi -L \(output.status): \(output.stderr.trimmingSpaces); no GPUs")
                case .failure(let error):
                    logger.warning("cannot run nvidia-smi: \(error); no GPUs")
                }
                pump()
            })
        }
    }

    private func setGPUs(_ devices: [GPUDevice]) {
        gpuAssignment = GPUAssignment(devices: devices)
        logger.info("GPUs: \(devices.isEmpty ? "none" : devices.map(\.description).joined(separator: ", "))")
    }

    private func track(_ runner: CommandRunner) {
        runners[ObjectIdentifier(runner)] = runner
    }

    private func untrackFinishedRunners() {
        runners = runners.filter { $0.value.isRunning }
        checkShutdownComplete()
    }

    // MARK: Spawning

    /// Starts one instance now (`instance.spawn`), of `kind` when given, outside the warm
    /// policy. `completion` runs when it is ready, or with the error that ended it. Fails with
    /// -32002 when no available launcher is of that kind, -32029 at `maxInstances`.
    public func spawn(kind: LauncherKind?, _ completion: @escaping (Result<Instance, RPCError>) -> Void) {
        guard !isShuttingDown else { return completion(.failure(shuttingDownError())) }
        guard let index = configuration.launchers.indices.first(where: { index in
            if case .available = launcherStatuses[index] { return kind == nil || configuration.launchers[index].kind == kind }
            return false
        }) else {
            let what = kind.map { "no available launcher of kind \($0.rawValue)" } ?? "no available launcher"
            return completion(.failure(noInstanceError(Requirements(), reason: what)))
        }
        guard spawnedCount < configuration.maxInstances else {
            return completion(.failure(overloadedError(reason: "max_instances",
                message: "all \(configuration.maxInstances) instance slots are in use (--max-instances)")))
        }
        guard let instance = startInstance(launcherIndex: index, device: .auto) else {
            return completion(.failure(RPCError(code: .internalError, message: "could not start an instance",
                                                data: ["reason": "spawn_failed"])))
        }
        spawnCompletions[instance.id, default: []].append(completion)
    }

    /// Spawned (not attached) instances alive, including those starting and stopping: what
    /// `maxInstances` bounds.
    var spawnedCount: Int { instances.filter { $0.launcher != nil }.count }

    /// Spawns a worker of launcher `launcherIndex`, placing it on a GPU per policy. nil when
    /// placement says wait or the spawn failed (then logged, and counted against the launcher).
    @discardableResult
    func startInstance(launcherIndex: Int, device: Requirements.Device) -> Instance? {
        let id = "i\(nextInstanceNumber)"
        let gpu: GPUDevice?
        switch gpuAssignment.place(id, for: device, overflow: configuration.gpuOverflow) {
        case .device(let device): gpu = device
        case .cpu: gpu = nil
        case .wait: return nil
        }
        nextInstanceNumber += 1
        let launcher = configuration.launchers[launcherIndex]
        do {
            var spec = launcher.spec(gpu: gpu)
            var prepared: InstanceSandbox.PreparedLaunch?
            if let sandbox = configuration.sandbox {
                var launch = try sandbox.prepare(instanceID: id, spec: spec, launcher: launcher)
                if let limit = processCountLimit(for: id) {
                    launch.report.update(limit.layer)
                    if let procs = limit.procs { launch.spec = PidsCgroup.joining(procs, launch.spec) }
                }
                prepared = launch
                spec = launch.spec
                if !launch.skippedPaths.isEmpty {
                    logger.debug("sandbox: read-only paths missing here, not bound: \(launch.skippedPaths.joined(separator: " "))")
                }
            }
            if let pinning = configuration.pinning { spec = pinning.wrap(spec) }
            let instance = try Instance.spawn(
                id: id, launcher: launcher, launcherIndex: launcherIndex, spec: spec, gpu: gpu, loop: loop,
                frameLimits: configuration.workerFrameLimits,
                readyTimeoutMilliseconds: configuration.readyTimeoutMilliseconds, logger: logger)
            instance.sandboxReport = prepared?.report
            instance.workspace = prepared?.workspace
            instance.cpus = configuration.pinning?.cpus
            instance.onEvent = { [weak self] instance, event in self?.instanceEvent(instance, event) }
            instances.append(instance)
            statistics.spawned += 1
            onInstanceEvent?(instance, .created)
            return instance
        } catch {
            gpuAssignment.release(id)
            if let sandbox = configuration.sandbox { Workspace.remove(sandbox.workspace(for: id)) }
            logger.error("cannot spawn a worker: \(error)", metadata: ["launcher": "\(launcher)"])
            if let refusal = error as? SandboxError {
                // The sandbox cannot be built on this machine (bwrap missing under strict, a policy
                // exposing a protected path): retrying cannot help, and running bare is not allowed.
                launcherStatuses[launcherIndex] = .unavailable(reason: "sandbox: \(refusal)")
                pump()
                return nil
            }
            failedStart(launcherIndex: launcherIndex, reason: "spawn failed: \(error)")
            return nil
        }
    }

    private func failedStart(launcherIndex: Int, reason: String) {
        launcherFacts[launcherIndex].failedStarts += 1
        guard launcherFacts[launcherIndex].failedStarts >= Self.maxFailedStarts,
              case .available = launcherStatuses[launcherIndex] else { return }
        let launcher = configuration.launchers[launcherIndex]
        let text = "\(Self.maxFailedStarts) workers in a row failed to start (last: \(reason)); launcher taken out of service"
        logger.error("\(text)", metadata: ["launcher": "\(launcher)"])
        launcherStatuses[launcherIndex] = .unavailable(reason: text)
        // Waiters that only this launcher could serve must hear -32002 now.
        pump()
    }

    // MARK: Instance events

    func instanceEvent(_ instance: Instance, _ event: InstanceEvent) {
        switch event {
        case .stateChanged(let from, .ready):
            if from == .starting { instanceBecameReady(instance) }
            onInstanceEvent?(instance, event)
            if from == .starting, let completions = spawnCompletions.removeValue(forKey: instance.id) {
                for completion in completions { completion(.success(instance)) }
            }
            pump()
        case .stateChanged:
            onInstanceEvent?(instance, event)
        case .timedOut:
            statistics.timedOut += 1
            onInstanceEvent?(instance, event)
        case .created:
            onInstanceEvent?(instance, event)
        case .died(let death):
            instanceDied(instance, death)
        }
    }

    private func instanceBecameReady(_ instance: Instance) {
        statistics.becameReady += 1
        if let ms = instance.readyMilliseconds { statistics.lastReadyMilliseconds[instance.kind] = ms }
        guard let index = instance.launcherIndex, let info = instance.info else { return }
        mergeWorkerSandboxReport(instance, info)
        launcherFacts[index].failedStarts = 0
        launcherFacts[index].engines = info.engines
        launcherFacts[index].devices = info.devices
        if let version = BlenderVersionCheck.mismatch(instance: info.blender.version, status: launcherStatuses[index]) {
            logger.warning("worker reports Blender \(info.blender.version) but the launcher probe said \(version)")
        }
        if let gpu = instance.gpu, info.gpu == nil {
            // The worker could not enable its device (no driver, wrong type): the instance runs
            // on the CPU, and the device is not offered again.
            logger.warning("worker did not enable \(gpu); it runs on the CPU and the device is retired",
                           metadata: ["instance": "\(instance.id)"])
            gpuAssignment.retire(index: gpu.index)
            instance.gpu = nil
        }
    }

    /// The worker's own layers (Landlock, audit hook) replace the pool's plan for them; a worker
    /// that was given `--sandbox` and reports nothing has them marked not applied, never assumed.
    private func mergeWorkerSandboxReport(_ instance: Instance, _ info: WorkerInfo) {
        guard var report = instance.sandboxReport, report.tier.wraps else { return }
        let workerLayers: [SandboxReport.LayerName] = [.landlock, .auditHook]
        let reported = info.sandbox?.layers ?? []
        for name in workerLayers {
            if let layer = reported.first(where: { $0.name == name.rawValue }) {
                let status: SandboxReport.Status = layer.status == "applied" ? .applied : .notApplied
                report.update(.init(name: name, status: status,
                                    reason: status == .applied ? nil : (layer.reason ?? "the worker gave no reason"),
                                    detail: status == .applied ? layer.detail : nil))
            } else if instance.launcher?.isCustom == false {
                report.update(.init(name: name, status: .notApplied, reason: "the worker did not report this layer in worker.ready"))
            }
        }
        instance.sandboxReport = report
        for line in report.lines where line.contains("not_applied") {
            logger.warning("\(line)", metadata: ["instance": "\(instance.id)"])
        }
    }

    /// The pids cgroup layer for a new instance: the procs file its command joins, and the report.
    private func processCountLimit(for id: String) -> (procs: String?, layer: SandboxReport.Layer)? {
        guard let sandbox = configuration.sandbox, sandbox.tier.wraps, let pidsCgroup else { return nil }
        let maximum = sandbox.limits?.processes ?? ResourceLimits.defaults(for: sandbox.tier).processes ?? 512
        switch pidsCgroup.flatMap({ $0.prepare(instance: id, maximum: maximum) }) {
        case .success(let procs):
            return (procs, .init(name: .pidsCgroup, status: .applied, detail: "pids.max \(maximum) for the worker and everything it starts"))
        case .failure(let error):
            return (nil, .init(name: .pidsCgroup, status: .notApplied, reason: error.reason))
        }
    }

    private func instanceDied(_ instance: Instance, _ death: InstanceDeath) {
        instances.removeAll { $0 === instance }
        if case .success(let cgroup)? = pidsCgroup { cgroup.removeWhenEmpty(instance: instance.id) }
        if let workspace = instance.workspace { Workspace.removeInBackground(workspace) }
        evicting.remove(instance.id)
        gpuAssignment.release(instance.id)
        if !death.expected {
            statistics.crashed += 1
            if instance.readyMilliseconds == nil, let index = instance.launcherIndex, !isShuttingDown {
                failedStart(launcherIndex: index, reason: death.reason)
            }
        }
        onInstanceEvent?(instance, .died(death))
        if let completions = spawnCompletions.removeValue(forKey: instance.id) {
            let error = instance.crashError(method: "instance.spawn", reason: death.reason)
            for completion in completions { completion(.failure(error)) }
        }
        if let completions = stopCompletions.removeValue(forKey: instance.id) {
            for completion in completions { completion(.success(())) }
        }
        if isShuttingDown {
            checkShutdownComplete()
        } else {
            pump()
        }
    }

    // MARK: Stop and attach

    /// Stops an instance (`instance.stop`): worker.shutdown, then SIGTERM/SIGKILL. A leased
    /// instance is stopped too (its session's calls fail with -32005). `completion` runs once it
    /// is dead; -32602 for an unknown id.
    public func stop(_ id: String, _ completion: @escaping (Result<Void, RPCError>) -> Void) {
        guard let instance = instances.first(where: { $0.id == id }) else {
            return completion(.failure(RPCError(code: .invalidParams, message: "Invalid params",
                data: ["path": "params.instance", "reason": .string("no instance \(id)"),
                       "available": .array(instances.filter { $0.state != .dead }.map { .string($0.id) })])))
        }
        stopCompletions[id, default: []].append(completion)
        instance.stop(as: .stopping, reason: "stopped on request", shutdownTimeout: configuration.shutdownTimeoutMilliseconds,
                      terminateGrace: configuration.terminateGraceMilliseconds)
    }

    /// A GUI Blender completed `worker.attach`: it joins the pool as a ready, non-headless
    /// instance (never reset, never recycled, not counted in `maxInstances`). The daemon routes
    /// the GUI's responses to `instance.receive(_:)` and calls `instance.transportDidClose` when
    /// its connection ends.
    public func attach(connection: any WorkerTransport, info: WorkerInfo) -> Instance {
        let id = "i\(nextInstanceNumber)"
        nextInstanceNumber += 1
        let instance = Instance.attached(id: id, transport: connection, info: info, loop: loop, logger: logger)
        instance.onEvent = { [weak self] instance, event in self?.instanceEvent(instance, event) }
        instances.append(instance)
        logger.info("GUI Blender attached", metadata: ["instance": "\(id)", "blender": "\(info.blender.version)", "pid": "\(info.pid)"])
        onInstanceEvent?(instance, .created)
        pump()
        return instance
    }

    /// Finds a live instance by id.
    public func instance(_ id: String) -> Instance? { instances.first { $0.id == id } }

    // MARK: Health

    private func startHealthChecks() {
        let interval = configuration.healthIntervalMilliseconds
        do {
            let timer = try UVCore.Timer(loop: loop)
            healthTimer = timer
            try timer.start(after: interval, repeat: interval) { [weak self] in self?.checkHealth() }
        } catch {
            logger.error("health checks disabled: cannot start their timer: \(error)")
        }
    }

    /// Pings idle ready instances that have been quiet for an interval. No answer within
    /// `healthTimeoutMilliseconds` kills the instance (the call timeout does it) and the pool
    /// replaces it.
    func checkHealth() {
        let now = loop.nowMilliseconds
        let quiet = UInt64(configuration.healthIntervalMilliseconds / 2)
        for instance in instances where instance.state == .ready && instance.lease == nil && instance.isUsable
            && instance.isIdle && now &- instance.lastActivityMilliseconds >= quiet {
            instance.perform("worker.ping", timeoutMilliseconds: configuration.healthTimeoutMilliseconds) { [weak self, weak instance] result in
                guard let self, let instance, case .failure(let error) = result else { return }
                if error.code == .timeout || error.code == .instanceCrashed { return }  // already handled
                logger.error("health check failed: \(error)", metadata: ["instance": "\(instance.id)"])
                instance.kill(reason: "health check failed: \(error.message)")
            }
        }
    }

    // MARK: Shutdown

    /// Stops every instance (worker.shutdown, then SIGTERM/SIGKILL), fails waiting acquires,
    /// cancels probes, and closes the pool's timers. `completion` runs once nothing of the pool
    /// is left on the loop (every worker has exited).
    public func shutdown(_ completion: @escaping () -> Void) {
        shutdownCompletions.append(completion)
        guard !isShuttingDown else { return checkShutdownComplete() }
        isShuttingDown = true
        logger.info("instance pool shutting down", metadata: ["instances": "\(instances.count)"])
        let waiters = queue.removeAll { _ in true }
        for waiter in waiters { waiter.completion(.failure(shuttingDownError())) }
        healthTimer?.close()
        healthTimer = nil
        queueTimer?.close()
        queueTimer = nil
        for runner in runners.values { runner.cancel() }
        for instance in instances {
            instance.stop(as: .stopping, reason: "daemon shutdown", shutdownTimeout: configuration.shutdownTimeoutMilliseconds,
                          terminateGrace: configuration.terminateGraceMilliseconds)
        }
        checkShutdownComplete()
    }

    private func checkShutdownComplete() {
        guard isShuttingDown, instances.isEmpty, runners.values.allSatisfy({ !$0.isRunning }) else { return }
        runners = [:]
        if case .success(let cgroup)? = pidsCgroup { cgroup.removeParentWhenEmpty() }
        let completions = shutdownCompletions
        shutdownCompletions = []
        if !completions.isEmpty { logger.info("instance pool stopped") }
        for completion in completions { completion() }
    }
}

/// The probe's version and the worker's should agree; a difference means the launcher path
/// changed under us (a package upgrade) and is worth a warning, not a failure.
enum BlenderVersionCheck {
    static func mismatch(instance: BlenderVersion, status: LauncherStatus) -> BlenderVersion? {
        if case .available(let probed) = status, probed != instance { return probed }
        return nil
    }
}
