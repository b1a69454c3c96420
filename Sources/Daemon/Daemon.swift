import Foundation
import InstancePool
import JSONRPC
import Logging
import Sandbox
import UVCore

/// The daemon: one libuv loop on one thread, a socket server, and the method table.
///
/// `run()` blocks the calling thread, which becomes the loop thread; all state below lives there.
/// The one way in from other threads is `requestShutdown()` (through a `LoopWakeup`), which is
/// why the class is `@unchecked Sendable`: the lock guards exactly that hand-off.
public final class Daemon: @unchecked Sendable {
    public let configuration: DaemonConfiguration
    let logger: Logger
    private let extend: ((MethodTable) -> Void)?
    let startedAtNanoseconds = EventLoop.hrtimeNanoseconds()

    // Loop-thread state.
    var server: Server?
    var pool: InstancePool?
    var sessions: SessionTable?
    var jobs: JobTable?
    var events: EventBus?
    private var attachToken: AttachToken?
    private var loop: EventLoop?
    private var signalWatchers: [SignalWatcher] = []
    private var table: MethodTable?
    private var graceTimer: UVCore.Timer?
    private var boundInode: ino_t?
    private var shuttingDown = false
    private var closingConnections = false
    /// The state directory in use and its lock; a temporary one is removed at exit.
    private(set) var state: StateDirectory?
    private var stateLock: Int32 = -1
    private var stateIsTemporary = false
    /// The sandbox as planned for this machine (daemon.info); nil when instances run bare.
    private(set) var sandboxReport: SandboxReport?

    // Cross-thread hand-off, guarded by `lock`.
    private let lock = NSLock()
    private var wakeup: LoopWakeup?
    private var shutdownRequested = false

    /// - Parameter extend: registers extra methods (tests add the JSON-RPC spec's examples).
    public init(configuration: DaemonConfiguration, logger: Logger, extend: ((MethodTable) -> Void)? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.extend = extend
    }

    /// Starts serving and blocks until shut down. `onReady` runs on the loop thread once the
    /// socket accepts connections.
    public func run(onReady: (() -> Void)? = nil) throws(DaemonError) {
        // A client that closes while we write must give us EPIPE, not kill the daemon.
        signal(SIGPIPE, SIG_IGN)
        do { try SignalMask.clearOnThisThread() } catch {
            throw DaemonError(.loop, "cannot clear the inherited signal mask", remedy: "check the process signal mask", cause: error)
        }
        let loop: EventLoop
        do { loop = try EventLoop() } catch {
            throw DaemonError(.loop, "cannot create the event loop", remedy: "check libuv is installed", cause: error)
        }
        self.loop = loop
        defer { finish(loop) }

        let setup = SocketSetup(path: configuration.socketPath, logger: logger)
        try setup.prepareDirectory()
        try setup.clearStaleSocket(loop: loop)

        let state = try openStateDirectory()
        let table = MethodTable(maxDepth: configuration.limits.maxDepth)
        let pool = InstancePool(loop: loop, configuration: try poolConfiguration(state: state), logger: logger)
        let sessions = SessionTable(
            pool: pool, loop: loop, logger: logger, execTimeoutMilliseconds: configuration.execTimeoutMilliseconds,
            idleTimeoutMilliseconds: configuration.sessionIdleTimeoutMilliseconds, state: state,
            keepCheckpoints: configuration.keepCheckpoints, cancelGraceMilliseconds: configuration.cancelGraceMilliseconds)
        sessions.loadPersisted()
        let jobs = JobTable(pool: pool, loop: loop, logger: logger, state: state, cancelGraceMilliseconds: configuration.cancelGraceMilliseconds)
        let events = EventBus(logger: logger, state: state)
        sessions.events = events
        jobs.events = events
        self.pool = pool
        self.sessions = sessions
        self.jobs = jobs
        self.events = events
        do { attachToken = try AttachToken.create(besides: configuration.socketPath) } catch {
            // GUI Blenders cannot attach without it; headless work is unaffected.
            logger.error("no attach token: GUI Blenders cannot attach", metadata: ["error": "\(error)"])
        }
        registerDaemonMethods(table)
        registerSessionMethods(table, sessions: sessions)
        registerRenderMethods(table, sessions: sessions)
        registerInstanceMethods(table, pool: pool, sessions: sessions, token: attachToken)
        registerJobMethods(table, jobs: jobs, sessions: sessions)
        registerEventMethods(table, events: events, sessions: sessions)
        extend?(table)
        self.table = table
        table.dispatcher.onResponse = { response, connection in
            connection.attachedInstance?.receive(.response(response))
        }
        pool.onInstanceEvent = { instance, event in
            if case .died = event { sessions.instanceGone(instance) }
            events.instanceEvent(instance, event)
        }

        let listener: PipeServer
        do { listener = try PipeServer(loop: loop) } catch {
            throw DaemonError(.listen, "cannot create the socket server", remedy: "check file descriptor limits", cause: error)
        }
        boundInode = try setup.bind(listener)
        let server = Server(loop: loop, listener: listener, configuration: configuration, table: table, logger: logger)
        self.server = server
        server.onClientClosed = { connection in
            // Jobs first: they move to queue slots of their own before the pool drops the client's.
            jobs.connectionClosed(connection)
            sessions.connectionClosed(connection)
            events.connectionClosed(connection)
            connection.attachedInstance?.transportDidClose(reason: "the GUI Blender's connection closed")
        }
        try server.listen()
        pool.start()
        sessions.start()
        try installShutdownTriggers(loop)

        logger.info("listening", metadata: ["socket": "\(configuration.socketPath)", "pid": "\(getpid())"])
        onReady?()
        loop.run()
        logger.info("stopped")
    }

    /// `--state-dir`, or a temporary directory when the configuration names none.
    private func openStateDirectory() throws(DaemonError) -> StateDirectory {
        var root = configuration.stateDirectory
        if root == nil {
            var template = Array("/tmp/blenderd-state.XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else {
                throw DaemonError(.stateDirectory, "cannot create a temporary state directory", remedy: "pass --state-dir")
            }
            root = String(cString: made)
            stateIsTemporary = true
        }
        let state = StateDirectory(root: root ?? "")
        stateLock = try state.open()
        self.state = state
        logger.info("state directory", metadata: ["path": "\(state.root)"])
        return state
    }

    /// The pool's configuration with the sandbox filled in: workspaces under the state directory,
    /// and the socket directory and the state directory out of every sandbox's reach.
    private func poolConfiguration(state: StateDirectory) throws(DaemonError) -> PoolConfiguration {
        var pool = configuration.pool
        guard let tier = configuration.sandboxTier else {
            logger.warning("instances run unsandboxed (no sandbox tier configured)")
            return pool
        }
        guard tier != .trusted || pool.launchers.isEmpty else {
            throw DaemonError(.sandbox, "the trusted tier is only for GUI Blenders their owners attach, not for spawned instances",
                              remedy: "use --sandbox strict (default) or --sandbox standard")
        }
        let socketDirectory = (configuration.socketPath as NSString).deletingLastPathComponent
        let sandbox = InstanceSandbox(tier: tier, workspacesDirectory: state.instances,
                                      protectedPaths: [socketDirectory, state.root], limits: configuration.sandboxLimits)
        let launcher = pool.launchers.first
        let report = sandbox.plannedReport(executable: launcher?.path ?? "/usr/bin/blender", addonDirectory: launcher?.addonDirectory)
        for line in report.lines { logger.info("\(line)") }
        if tier.requiresOSLayer, let missing = report.layers.first(where: { ($0.name == .bubblewrap || $0.name == .rlimits) && $0.status != .applied }) {
            logger.critical("--sandbox strict: no instance will start: \(missing.name.rawValue) unavailable (\(missing.reason ?? "")); install it or run --sandbox standard")
        }
        pool.sandbox = sandbox
        pool.reuseInstances = configuration.reuseInstances
        if configuration.reuseInstances {
            logger.notice("--reuse-instances: sessions get reset instances; Python state a script leaves can reach the next session")
        }
        sandboxReport = report
        return pool
    }

    /// Asks the daemon to shut down gracefully; safe from any thread (and from a signal watcher).
    public func requestShutdown() {
        lock.lock()
        shutdownRequested = true
        let wakeup = self.wakeup
        lock.unlock()
        wakeup?.send()
    }

    private func installShutdownTriggers(_ loop: EventLoop) throws(DaemonError) {
        do {
            for number in SignalMask.shutdown {
                let watcher = try SignalWatcher(loop: loop, signal: number) { [unowned self] received in
                    self.logger.info("signal received, shutting down", metadata: ["signal": "\(received)"])
                    self.beginShutdown()
                }
                signalWatchers.append(watcher)
            }
            let wakeup = try LoopWakeup(loop: loop) { [unowned self] in
                self.lock.lock()
                let requested = self.shutdownRequested
                self.lock.unlock()
                if requested { self.beginShutdown() }
            }
            lock.lock()
            self.wakeup = wakeup
            let requestedEarly = shutdownRequested
            lock.unlock()
            if requestedEarly { wakeup.send() }
        } catch {
            throw DaemonError(.loop, "cannot install signal handlers", remedy: "check the process signal mask", cause: error)
        }
    }

    /// Graceful shutdown (protocol/README.md, Lifecycle): stop accepting and remove the socket;
    /// answer requests in flight while refusing new ones with `-32029 shutting_down`; past the
    /// grace period answer what is left `-32006`; then flush and close every connection so
    /// `loop.run()` returns. A second signal skips the grace period.
    private func beginShutdown() {
        guard let loop, let table else { return }
        if shuttingDown {
            logger.notice("second shutdown request: skipping the grace period")
            closeConnections()
            return
        }
        shuttingDown = true
        server?.stopAccepting()
        removeSocket()
        table.refusal = RPCError(code: .overloaded, data: ["reason": "shutting_down", "retry_after": 1])
        table.onSettled = { [unowned self, unowned table] in
            if table.inFlight == 0 { self.closeConnections() }
        }
        if table.inFlight == 0 {
            closeConnections()
            return
        }
        logger.info("waiting for requests in flight", metadata: ["count": "\(table.inFlight)"])
        do {
            let timer = try UVCore.Timer(loop: loop)
            try timer.start(after: Int(clamping: configuration.shutdownGraceMilliseconds), repeat: 0) { [unowned self] in
                self.logger.warning("shutdown grace elapsed; cancelling requests in flight")
                self.closeConnections()
            }
            graceTimer = timer
        } catch {
            logger.warning("no grace timer; closing now", metadata: ["error": "\(error)"])
            closeConnections()
        }
    }

    /// Cancels what is still running, then flushes and closes every connection; the loop's own
    /// handles close when the last connection has.
    private func closeConnections() {
        guard !closingConnections, let server else { return }
        closingConnections = true
        table?.cancelAll(with: RPCError(code: .cancelled, data: ["reason": "shutdown"]))
        server.onConnectionClosed = { [unowned self, unowned server] in
            if server.connections.isEmpty { self.closeLoopHandles() }
        }
        for connection in Array(server.connections.values) { connection.closeAfterFlush() }
        if server.connections.isEmpty { closeLoopHandles() }
    }

    /// Stops every Blender (the pool's own timers and processes keep the loop running until they
    /// are gone), then the daemon's remaining handles.
    private func closeLoopHandles() {
        if let pool, !pool.isShuttingDown {
            jobs?.shutdown()
            pool.shutdown { [unowned self] in self.closeLoopHandles() }
            sessions?.closeAll()
            return
        }
        for watcher in signalWatchers { watcher.close(nil) }
        signalWatchers.removeAll()
        graceTimer?.close(nil)
        graceTimer = nil
        lock.lock()
        let wakeup = self.wakeup
        self.wakeup = nil
        lock.unlock()
        wakeup?.close(nil)
    }

    private func removeSocket() {
        guard let inode = boundInode else { return }
        SocketSetup(path: configuration.socketPath, logger: logger).remove(ifInode: inode)
        boundInode = nil
    }

    /// Whatever path `run` leaves by, every Blender is stopped, every handle is closed and the
    /// loop closes cleanly.
    private func finish(_ loop: EventLoop) {
        removeSocket()
        attachToken?.remove()
        if let pool, !pool.isShuttingDown {
            var stopped = false
            jobs?.shutdown()
            pool.shutdown { stopped = true }
            sessions?.closeAll()
            while !stopped && loop.runOnce() {}
        }
        server?.stopAccepting()
        if let server {
            for connection in Array(server.connections.values) { connection.close(reason: nil) }
        }
        closeLoopHandles()
        loop.closeAllHandles()
        while loop.runOnce() {}
        do { try loop.close() } catch {
            logger.error("event loop did not close cleanly", metadata: ["error": "\(error)"])
        }
        lock.lock()
        wakeup = nil
        lock.unlock()
        if stateLock >= 0 { close(stateLock); stateLock = -1 }
        if stateIsTemporary, let state { try? FileManager.default.removeItem(atPath: state.root) }
        self.loop = nil
        server = nil
        table = nil
        pool = nil
        sessions = nil
        jobs = nil
        events = nil
    }
}
