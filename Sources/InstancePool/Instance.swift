// One Blender instance: its process (spawned) or connection (attached GUI), the JSON-RPC channel
// to its worker, and its state machine (InstanceState.swift). Loop thread only.
//
// Supervision follows neovim's proc.c: the process's exit is the authority on death. EOF on the
// control channel alone only arms a short timer (the worker closes fd 3 as it exits; a worker
// that closed it and lingers is killed), and death fails every outstanding call with -32005
// carrying the exit status, as sourcekit-lsp fails a closed connection's requests.

import Foundation
import JSONRPC
import Logging
import Sandbox
import UVCore

public final class Instance {
    public let id: String
    public let kind: LauncherKind
    /// The launcher that started it; nil for an attached GUI.
    public let launcher: Launcher?
    let launcherIndex: Int?
    public private(set) var state: InstanceState
    /// What the worker reported in worker.ready / worker.attach; nil while starting.
    public private(set) var info: WorkerInfo?
    /// The spawned process's pid (setpriv and Blender exec in place, so it is Blender's), or
    /// the GUI Blender's pid from worker.attach.
    public private(set) var pid: Int32
    /// Calls served, not counting the pool's own `worker.*` housekeeping.
    public internal(set) var jobs = 0
    /// The owner (session id) holding the lease; nil when idle.
    public internal(set) var lease: String?
    /// The device this instance is pinned to.
    public internal(set) var gpu: GPUDevice?
    public let startedAt: Date
    /// Spawn → worker.ready, measured by the pool.
    public private(set) var readyMilliseconds: Double?
    /// Round trip of the last `worker.reset`, and the worker's own measure of it.
    public internal(set) var lastResetMilliseconds: Double?
    public internal(set) var lastResetWorkerMilliseconds: Double?
    public private(set) var exitStatus: ExitStatus?
    public private(set) var death: InstanceDeath?
    /// The sandbox it runs in: the OS layers the pool applied, merged with the layers the worker
    /// reported in worker.ready (Landlock, audit hook). nil for an unsandboxed instance.
    public internal(set) var sandboxReport: SandboxReport?
    /// Its workspace (InstanceSandbox.swift): the only writable directory inside its sandbox.
    public internal(set) var workspace: String?
    /// The CPUs it may run on (--instance-cpus); nil: any.
    public internal(set) var cpus: CPUSet?

    var leaseClient: Int?
    var leasedAtNanoseconds: UInt64 = 0
    /// Loop time of the last message from the worker (health checks skip recently active ones).
    private(set) var lastActivityMilliseconds: UInt64
    let startedAtNanoseconds: UInt64

    private let loop: EventLoop
    private var logger: Logger
    private var process: UVCore.Process?
    private var channel: WorkerChannel?
    private var readyTimer: UVCore.Timer?
    private var exitTimer: UVCore.Timer?
    /// Why we killed it (first reason wins): reported instead of the bare signal.
    private var killReason: String?
    private var stopReason: String?
    /// A stop that is really a failure (the worker speaks another protocol): reported as a crash.
    private var stopIsFailure = false
    private var output = OutputCapture()
    var onEvent: ((Instance, InstanceEvent) -> Void)?
    /// Notifications the worker sends during a call (`render.progress`, `render.image`): set by
    /// whoever runs the call for its duration, cleared after. Unset, they are logged and dropped.
    public var onNotification: ((_ method: String, _ params: JSONValue?) -> Void)?

    private init(id: String, kind: LauncherKind, launcher: Launcher?, launcherIndex: Int?, state: InstanceState,
                 loop: EventLoop, logger: Logger) {
        self.id = id
        self.kind = kind
        self.launcher = launcher
        self.launcherIndex = launcherIndex
        self.state = state
        self.loop = loop
        self.pid = 0
        var logger = logger
        logger[metadataKey: "instance"] = "\(id)"
        self.logger = logger
        startedAt = Date()
        startedAtNanoseconds = EventLoop.hrtimeNanoseconds()
        lastActivityMilliseconds = loop.nowMilliseconds
    }

    // MARK: Creation

    /// Spawns a headless worker; the instance is `starting` until its worker.ready arrives
    /// (or dies after `readyTimeoutMilliseconds`).
    /// `spec` is `launcher.spec(gpu:)`, possibly wrapped in a sandbox.
    static func spawn(id: String, launcher: Launcher, launcherIndex: Int, spec: LaunchSpec, gpu: GPUDevice?, loop: EventLoop,
                      frameLimits: FrameLimits, readyTimeoutMilliseconds: Int, logger: Logger) throws -> Instance {
        let instance = Instance(id: id, kind: launcher.kind, launcher: launcher, launcherIndex: launcherIndex,
                                state: .starting, loop: loop, logger: logger)
        instance.gpu = gpu
        try instance.launch(spec, frameLimits: frameLimits, readyTimeout: readyTimeoutMilliseconds)
        return instance
    }

    /// A GUI worker that completed worker.attach: ready at once, never reset or recycled.
    static func attached(id: String, transport: any WorkerTransport, info: WorkerInfo, loop: EventLoop, logger: Logger) -> Instance {
        let instance = Instance(id: id, kind: .gui, launcher: nil, launcherIndex: nil, state: .ready, loop: loop, logger: logger)
        instance.info = info
        instance.pid = info.pid
        instance.readyMilliseconds = 0
        instance.channel = instance.makeChannel(transport)
        return instance
    }

    private func launch(_ spec: LaunchSpec, frameLimits: FrameLimits, readyTimeout: Int) throws {
        let options = spec.processOptions(controlChannel: true, stdout: .pipe, stderr: .pipe)
        let process = try UVCore.Process.spawn(loop: loop, options: options) { [self] status in processDidExit(status) }
        self.process = process
        pid = process.pid
        logger[metadataKey: "pid"] = "\(process.pid)"
        logger.info("spawned worker", metadata: ["command": "\(spec)", "gpu": "\(gpu.map(\.description) ?? "none")"])
        do {
            guard let control = process.control else { throw UVError.badFileDescriptor.with(operation: "control channel") }
            let transport = try ControlChannelTransport(connection: control, limits: frameLimits) { [weak self] event in
                self?.controlEvent(event)
            }
            channel = makeChannel(transport)
            try process.stdout.map { try capture($0, stream: "stdout") }
            try process.stderr.map { try capture($0, stream: "stderr") }
            let timer = try UVCore.Timer(loop: loop)
            readyTimer = timer
            try timer.start(after: readyTimeout) { [weak self] in self?.readyTimedOut(after: readyTimeout) }
        } catch {
            // Half set up: make sure the child does not outlive the failure.
            kill(reason: "set-up failed: \(error)")
            throw error
        }
    }

    private func makeChannel(_ transport: any WorkerTransport) -> WorkerChannel {
        let channel = WorkerChannel(loop: loop, transport: transport)
        channel.onIncoming = { [weak self] request in self?.incoming(request) }
        channel.onTimeout = { [weak self] call in self?.callTimedOut(call) }
        channel.onAnomaly = { [weak self] text in self?.logger.warning("worker channel: \(text)") }
        return channel
    }

    // MARK: Calls

    /// Sends a request to the worker; `completion` gets its result or error.
    ///
    /// One request at a time: further calls wait FIFO, and each call's timeout starts when it is
    /// sent. A timeout kills the process group (SIGKILL) and completes with -32004
    /// `{timeout_s, instance}`; the pool then replaces the instance. When the worker dies, every
    /// outstanding call fails with -32005 `{instance, exit: {code, signal}, reason}`. Calls on a
    /// starting instance fail with -32603 (`instance_not_ready`), on a stopping or dead one with
    /// -32005. The completion can run before `call` returns in those cases.
    public func call(_ method: String, params: JSONValue = [:], timeoutMilliseconds: Int?,
                     _ completion: @escaping (Result<JSONValue, RPCError>) -> Void) {
        callRaw(method, params: RawJSON(params), timeoutMilliseconds: timeoutMilliseconds) { completion($0.map(\.value)) }
    }

    /// `call`, with the result as the JSON text the worker sent: validated, not parsed, so it can
    /// be forwarded to a client as it is (and changed with `RawJSON.settingMembers`).
    public func callRaw(_ method: String, params: JSONValue = [:], timeoutMilliseconds: Int?,
                        _ completion: @escaping (Result<RawJSON, RPCError>) -> Void) {
        callRaw(method, params: RawJSON(params), timeoutMilliseconds: timeoutMilliseconds, completion)
    }

    /// `callRaw` with the params as JSON text, sent as they are (a client's script.exec code).
    public func callRaw(_ method: String, params: RawJSON, timeoutMilliseconds: Int?,
                        _ completion: @escaping (Result<RawJSON, RPCError>) -> Void) {
        switch state {
        case .ready, .busy:
            send(method, params: params, timeoutMilliseconds: timeoutMilliseconds, completion)
        case .starting:
            completion(.failure(RPCError(
                code: .internalError, message: "instance \(id) is still starting",
                data: ["reason": "instance_not_ready", "instance": .string(id)])))
        case .recycling, .stopping, .dead:
            completion(.failure(crashError(method: method, reason: death?.reason ?? stopReason ?? "the instance is stopping")))
        }
    }

    /// `call` without the state check: the pool's own calls (reset, ping, shutdown).
    func perform(_ method: String, params: JSONValue = [:], timeoutMilliseconds: Int?,
                 _ completion: @escaping (Result<JSONValue, RPCError>) -> Void) {
        send(method, params: RawJSON(params), timeoutMilliseconds: timeoutMilliseconds) { completion($0.map(\.value)) }
    }

    private func send(_ method: String, params: RawJSON, timeoutMilliseconds: Int?,
                      _ completion: @escaping (Result<RawJSON, RPCError>) -> Void) {
        guard let channel, channel.isOpen, state != .dead else {
            completion(.failure(crashError(method: method, reason: death?.reason ?? killReason ?? "the worker channel is closed")))
            return
        }
        if !method.hasPrefix("worker.") { jobs += 1 }
        channel.call(WorkerChannel.Call(method: method, params: params, timeoutMilliseconds: timeoutMilliseconds,
                                        completion: completion))
    }

    /// A message from an attached GUI worker, which reaches the daemon on its client connection.
    public func receive(_ message: Message) {
        lastActivityMilliseconds = loop.nowMilliseconds
        channel?.receive(message)
    }

    /// The attached GUI's connection closed: the instance is dead (Blender lives on).
    public func transportDidClose(reason: String? = nil) {
        die(reason: reason ?? "the GUI worker disconnected", exit: nil)
    }

    /// No call in flight or waiting.
    var isIdle: Bool { channel?.isIdle ?? true }

    /// The worker can still be talked to (not killed, channel open).
    var isUsable: Bool { state != .dead && killReason == nil && (channel?.isOpen ?? false) }

    public var headless: Bool { info?.headless ?? (kind != .gui) }

    /// VmRSS of the worker process, read now; nil for a dead instance or an unreadable /proc.
    public var rssBytes: Int? { state == .dead || workerPid <= 0 ? nil : ResidentMemory.bytes(pid: workerPid) }

    /// The worker's own host pid: `pid` unless a sandbox put it in a pid namespace below the
    /// spawned process (NamespacedProcess.swift).
    public var workerPid: Int32 {
        get { sandboxedWorkerPid ?? pid }
        set { sandboxedWorkerPid = newValue }
    }
    private var sandboxedWorkerPid: Int32?

    /// Sends `signal` to the worker process itself (not its process group): SIGINT interrupts
    /// the running script (request.cancel). False when the worker is gone.
    @discardableResult
    public func signalWorker(_ signal: Int32) -> Bool {
        guard state != .dead, workerPid > 0 else { return false }
        return Glibc.kill(workerPid, signal) == 0
    }

    /// The last lines the worker wrote to stdout/stderr (crash reports).
    public var outputTail: [String] { output.tail }

    var uptimeSeconds: Double { Double(EventLoop.hrtimeNanoseconds() &- startedAtNanoseconds) / 1e9 }

    // MARK: State

    func setState(_ newState: InstanceState) {
        guard newState != state, state != .dead else { return }
        let old = state
        state = newState
        logger.debug("state \(old.rawValue) → \(newState.rawValue)")
        onEvent?(self, .stateChanged(from: old, to: newState))
    }

    /// Kills the process group at once (SIGKILL). Death follows through the exit.
    public func kill(reason: String) {
        if killReason == nil { killReason = reason }
        guard let process else {
            die(reason: reason, exit: nil)
            return
        }
        guard process.isRunning else { return }
        logger.warning("killing worker: \(reason)")
        do {
            try process.signal(SIGKILL)
        } catch {
            // ESRCH: it exited on its own meanwhile; its exit is on the way.
            logger.debug("kill: \(error)")
        }
    }

    /// Stops the worker: worker.shutdown when it is idle and talking, else straight to signals;
    /// SIGTERM then SIGKILL (`terminateGrace`) if it has not exited after `shutdownTimeout`.
    func stop(as stopState: InstanceState, reason: String, shutdownTimeout: Int, terminateGrace: Int) {
        guard state != .dead, state != .stopping, state != .recycling else { return }
        let wasStarting = state == .starting && info == nil
        stopReason = reason
        logger.info("stopping: \(reason)")
        setState(stopState)
        readyTimer?.close()
        readyTimer = nil
        guard let process else {
            // Attached GUI: ask it to detach, then forget it.
            perform("worker.shutdown", timeoutMilliseconds: shutdownTimeout) { [self] _ in
                channel?.transport.close()
                die(reason: reason, exit: nil)
            }
            return
        }
        if wasStarting {
            // Nothing to save in a worker that never became ready.
            process.terminate(grace: 0)
            return
        }
        guard isUsable, isIdle else {
            process.terminate(grace: terminateGrace)
            return
        }
        perform("worker.shutdown", timeoutMilliseconds: shutdownTimeout) { [self] _ in
            // Answered (or failed): it should exit now; make sure it does.
            armExitTimer(after: shutdownTimeout) { [self] in
                self.process?.terminate(grace: terminateGrace)
            }
        }
    }

    // MARK: Worker messages

    private func controlEvent(_ event: ControlChannelEvent) {
        switch event {
        case .message(let message):
            receive(message)
        case .response(let response):
            lastActivityMilliseconds = loop.nowMilliseconds
            channel?.receive(response)
        case .violation(let reason):
            logger.error("protocol violation on the worker channel: \(reason)")
            kill(reason: "protocol violation: \(reason)")
        case .closed(let reason):
            if let reason { logger.warning("worker channel closed: \(reason)") }
            // The worker closes fd 3 as it exits; give the exit a moment to arrive before
            // concluding it lingers without a channel.
            guard process?.isRunning == true else { return }
            armExitTimer(after: 2000) { [self] in
                kill(reason: "the worker closed its control channel but did not exit")
            }
        }
    }

    private func incoming(_ request: Request) {
        if request.method == "worker.ready", request.isNotification {
            workerReady(request.params)
            return
        }
        if let id = request.id {
            logger.warning("worker sent an unexpected request \(request.method)")
            channel?.transport.send(Response(id: id, error: .methodNotFound(request.method)).encoded())
        } else if let onNotification {
            onNotification(request.method, request.params)
        } else {
            logger.debug("ignored notification \(request.method) from the worker")
        }
    }

    private func workerReady(_ params: JSONValue?) {
        guard state == .starting else {
            logger.warning("worker.ready while \(state.rawValue); ignored")
            return
        }
        readyTimer?.close()
        readyTimer = nil
        let info: WorkerInfo
        do {
            info = try WorkerInfo.decode(params)
        } catch {
            logger.error("invalid worker.ready params at \(error.path): \(error.reason)")
            kill(reason: "invalid worker.ready (\(error.path): \(error.reason))")
            return
        }
        self.info = info
        guard info.protocol == WorkerInfo.supportedProtocol else {
            // protocol/worker.md: a daemon that does not support it MUST stop the worker.
            let reason = "worker speaks protocol \(info.protocol); this daemon speaks \(WorkerInfo.supportedProtocol) — "
                + "use the add-on from the same blenderd release"
            logger.error("\(reason)")
            stopIsFailure = true
            stop(as: .stopping, reason: reason, shutdownTimeout: 2000, terminateGrace: 1000)
            return
        }
        if info.pid != pid {
            if let host = NamespacedProcess.hostPid(under: pid, namespacePid: info.pid) {
                // Behind bubblewrap: the spawned pid is bwrap's, the worker is its descendant.
                workerPid = host
            } else {
                logger.warning("worker reports pid \(info.pid) but the spawned pid is \(pid): kills and RSS use the spawned pid")
            }
        }
        readyMilliseconds = Double(EventLoop.hrtimeNanoseconds() &- startedAtNanoseconds) / 1e6
        logger.info("worker ready", metadata: [
            "blender": "\(info.blender.version)", "kind": "\(info.kind.rawValue)",
            "ready_ms": "\(Int(readyMilliseconds ?? 0))", "startup_ms": "\(info.startupMilliseconds.map(String.init) ?? "?")",
        ])
        setState(.ready)
    }

    private func readyTimedOut(after milliseconds: Int) {
        readyTimer?.close()
        readyTimer = nil
        guard state == .starting else { return }
        logger.error("no worker.ready within \(milliseconds) ms; killing the worker",
                     metadata: ["output_tail": "\(output.tail.suffix(5).joined(separator: " | "))"])
        kill(reason: "no worker.ready within \(milliseconds) ms")
    }

    private func callTimedOut(_ call: WorkerChannel.Call) {
        let milliseconds = call.timeoutMilliseconds ?? 0
        let seconds = Double(milliseconds) / 1000
        let reason = "\(call.method) did not finish within \(Self.format(seconds)) s"
        logger.warning("\(reason); killing the worker")
        onEvent?(self, .timedOut(method: call.method, timeoutMilliseconds: milliseconds))
        if process == nil {
            // An attached GUI cannot be killed: detach from it instead.
            channel?.transport.close()
            killReason = reason
        }
        kill(reason: reason)
        call.completion(.failure(RPCError(
            code: .timeout,
            message: "\(reason); the instance was killed and will be replaced",
            data: ["timeout_s": .number(JSONNumber(seconds)), "instance": .string(id), "method": .string(call.method)])))
    }

    // MARK: Death

    private func processDidExit(_ exit: ExitStatus) {
        var status = exit
        if case .exited(let code) = exit, (129...192).contains(code), sandboxReport?[.bubblewrap]?.status == .applied {
            // bwrap exits 128 + N when the worker it ran was killed by signal N.
            status = .signaled(code - 128)
        }
        exitStatus = status
        let reason: String
        if let killReason {
            reason = killReason
        } else if let stopReason, state == .stopping || state == .recycling {
            reason = stopReason
        } else {
            switch status {
            case .exited(let code): reason = "the worker exited with code \(code)"
            case .signaled(let signal): reason = "the worker was killed by signal \(signal)\(Self.signalName(signal))"
            }
        }
        die(reason: reason, exit: status)
    }

    private func die(reason: String, exit: ExitStatus?) {
        guard state != .dead else { return }
        // A stop that had to kill (a protocol mismatch, a shutdown that timed out) is not a clean one.
        let expected = (state == .stopping || state == .recycling) && killReason == nil && !stopIsFailure
        let death = InstanceDeath(reason: reason, exit: exit, expected: expected)
        self.death = death
        if expected {
            logger.info("worker stopped: \(reason)", metadata: ["exit": "\(exit.map(\.description) ?? "none")"])
        } else {
            logger.error("worker died: \(reason)", metadata: [
                "exit": "\(exit.map(\.description) ?? "none")",
                "output_tail": "\(output.tail.suffix(5).joined(separator: " | "))",
            ])
        }
        readyTimer?.close()
        readyTimer = nil
        exitTimer?.close()
        exitTimer = nil
        if let channel {
            channel.failAll { [self] call in crashError(method: call.method, reason: reason) }
            channel.close()
            channel.transport.close()
        }
        setState(.dead)
        onEvent?(self, .died(death))
        onEvent = nil
    }

    /// -32005 for a call the worker will never answer.
    func crashError(method: String, reason: String) -> RPCError {
        var data: [String: JSONValue] = [
            "instance": .string(id),
            "exit": InstanceDeath.exitJSON(exitStatus),
            "reason": .string(reason),
            "method": .string(method),
        ]
        if !output.tail.isEmpty {
            data["output_tail"] = .array(output.tail.suffix(10).map { .string($0) })
        }
        return RPCError(code: .instanceCrashed, message: "Instance crashed: \(reason)", data: .object(data))
    }

    private func armExitTimer(after milliseconds: Int, _ action: @escaping () -> Void) {
        do {
            if exitTimer == nil { exitTimer = try UVCore.Timer(loop: loop) }
            try exitTimer?.start(after: milliseconds) { [weak self] in
                guard let self, self.process?.isRunning == true else { return }
                action()
            }
        } catch {
            action()
        }
    }

    // MARK: Output

    private func capture(_ connection: Connection, stream: String) throws {
        try connection.startReading { [weak self] event in
            guard let self else { return }
            switch event {
            case .data(let bytes):
                for line in output.append(bytes, stream: stream) {
                    logger.debug("\(stream): \(line)")
                }
            case .eof, .error:
                if let line = output.flush(stream: stream) { logger.debug("\(stream): \(line)") }
            }
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.3g", seconds)
    }

    private static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: " (SIGSEGV: Blender crashed)"
        case SIGKILL: " (SIGKILL)"
        case SIGABRT: " (SIGABRT: Blender aborted)"
        case SIGTERM: " (SIGTERM)"
        case SIGBUS: " (SIGBUS)"
        default: ""
        }
    }
}

/// Splits a worker's stdout/stderr into lines for the log, keeping the last few for crash
/// reports. Bounded: an endless line is cut every 8 KiB.
struct OutputCapture {
    static let maxLine = 8 * 1024
    static let tailLines = 20
    private var partial: [String: [UInt8]] = [:]
    private(set) var tail: [String] = []

    mutating func append(_ bytes: UnsafeRawBufferPointer, stream: String) -> [String] {
        var lines: [String] = []
        var buffer = partial[stream] ?? []
        for byte in bytes {
            if byte == 0x0A {
                lines.append(String(decoding: buffer, as: UTF8.self))
                buffer.removeAll(keepingCapacity: true)
            } else {
                buffer.append(byte)
                if buffer.count >= Self.maxLine {
                    lines.append(String(decoding: buffer, as: UTF8.self))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        partial[stream] = buffer
        remember(lines)
        return lines
    }

    mutating func flush(stream: String) -> String? {
        guard let buffer = partial[stream], !buffer.isEmpty else { return nil }
        partial[stream] = nil
        let line = String(decoding: buffer, as: UTF8.self)
        remember([line])
        return line
    }

    private mutating func remember(_ lines: [String]) {
        tail += lines.filter { !$0.isEmpty }
        if tail.count > Self.tailLines { tail.removeFirst(tail.count - Self.tailLines) }
    }
}
