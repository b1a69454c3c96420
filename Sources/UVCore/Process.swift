// A child process (uv_spawn), supervised the way neovim's event/proc.c does it:
//
//   spawn ──► running ──exit──► exited: process handle closes itself,
//                 │                    piped outputs drain (EOF, or closed after a timeout),
//                 │                    then onExit(status) — exactly once
//                 └─terminate(grace:)─► SIGTERM now, SIGKILL after `grace` ms if still running
//
// Order guarantees:
// - `onExit` runs once, on the loop thread, never from inside `spawn`.
// - Before `onExit`: the process handle is closed, and every `.pipe` output that was being read
//   when the child exited has delivered all its data and `.eof` (or was closed because the
//   drain timeout passed — a grandchild holding the pipe). Outputs not being read are closed at
//   exit; all piped outputs are closed by the time `onExit` runs.
// - `control` is the caller's: it is neither drained nor closed here; it sees `.eof` when the
//   last holder of the child's end (the child, or a grandchild) goes away.
// - A process whose handle is closed by `EventLoop.closeAllHandles()` before it exits never
//   reports its exit (and is not killed: do that first).
//
// With `newSession` (the default) the child is a session and process-group leader, so
// `signal` and `terminate` reach the whole group with kill(-pid), like neovim's proc tree kill.

internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

public final class Process: HandleOwner {
    let storage: HandleStorage
    public let options: Options
    public private(set) var pid: Int32 = 0
    /// Our end of the control socketpair (`options.controlChannel`); the child's is its fd 3.
    public private(set) var control: Connection?
    /// The child's stdout when `options.stdout == .pipe`.
    public private(set) var stdout: Connection?
    /// The child's stderr when `options.stderr == .pipe`.
    public private(set) var stderr: Connection?
    /// Set when the child has exited (before `onExit`, which may wait for output to drain).
    public private(set) var exitStatus: ExitStatus?

    private var onExit: ((ExitStatus) -> Void)?
    private var exitDelivered = false
    private var handleClosed = false
    private var pendingOutputs = 0
    private var drainTimer: Timer?
    private var escalationTimer: Timer?
    public private(set) var isTerminating = false

    private var uvProcess: UnsafeMutablePointer<uv_process_t> { storage.pointer(as: uv_process_t.self) }

    private init(loop: EventLoop, options: Options, onExit: @escaping (ExitStatus) -> Void) {
        storage = HandleStorage(loop: loop, for: uv_process_t.self)
        self.options = options
        self.onExit = onExit
    }

    public var isRunning: Bool { exitStatus == nil && !storage.isClosing }

    // MARK: Spawning

    /// Starts the child. Throws `UVError` when it cannot be started (`.notFound` for a missing
    /// executable, with the path in `operation`) and `SpawnError` for a `parentDeathSignal` this
    /// machine cannot provide.
    public static func spawn(loop: EventLoop, options: Options, onExit: @escaping (ExitStatus) -> Void) throws -> Process {
        loop.assertOnLoopThread()
        let argv = try commandLine(for: options)
        let process = Process(loop: loop, options: options, onExit: onExit)

        var stdio = [container(UV_IGNORE), container(for: options.stdout, fd: 1), container(for: options.stderr, fd: 2)]
        var childControlFD: Int32 = -1
        do throws(UVError) {
            if options.controlChannel {
                // Both ends are created close-on-exec, so no child inherits our end by accident;
                // libuv's dup2 onto fd 3 clears the flag on the child's copy only. Both blocking:
                // uv_pipe_open makes ours non-blocking, the worker reads its end plainly.
                var fds: [uv_os_sock_t] = [-1, -1]
                try uvCheck(uv_socketpair(Int32(SOCK_STREAM.rawValue), 0, &fds, 0, 0), "uv_socketpair")
                childControlFD = fds[1]
                do throws(UVError) {
                    process.control = try Connection.open(loop: loop, fd: fds[0])
                } catch {
                    Glibc.close(fds[0])
                    throw error
                }
                var channel = container(UV_INHERIT_FD)
                channel.data.fd = childControlFD
                stdio.append(channel)
            }
            if options.stdout == .pipe {
                let output = try Connection(loop: loop)
                process.stdout = output
                stdio[1].data.stream = output.stream
            }
            if options.stderr == .pipe {
                let output = try Connection(loop: loop)
                process.stderr = output
                stdio[2].data.stream = output.stream
            }
        } catch {
            if childControlFD >= 0 { Glibc.close(childControlFD) }
            process.closeConnections()
            process.storage.discard()
            throw error
        }

        let rc = process.spawn(argv: argv, stdio: &stdio)
        // uv_spawn initialises the handle even when it fails, so it is ours to close either way.
        process.storage.adopt(process)
        if childControlFD >= 0 { Glibc.close(childControlFD) }
        do throws(UVError) {
            try uvCheck(rc, "spawn \(options.executable)")
        } catch {
            process.closeConnections()
            process.storage.close(nil)
            throw error
        }
        process.pid = process.uvProcess.pointee.pid
        return process
    }

    /// argv, with the setpriv prefix for `parentDeathSignal`.
    private static func commandLine(for options: Options) throws -> [String] {
        guard let signal = options.parentDeathSignal else { return [options.executable] + options.arguments }
        let prefix = try ParentDeathSignal.argvPrefix(for: signal, executable: options.executable)
        let searchPath = options.environment.map { $0["PATH"] } ?? getenv("PATH").map { String(cString: $0) }
        guard let resolved = ExecutableSearch.find(options.executable, searchPath: searchPath) else {
            throw UVError(UV_ENOENT, "spawn \(options.executable)")
        }
        return prefix + [resolved] + options.arguments
    }

    private static func container(_ flags: uv_stdio_flags) -> uv_stdio_container_t {
        var container = uv_stdio_container_t()
        container.flags = flags
        return container
    }

    private static func container(for mode: StdioMode, fd: Int32) -> uv_stdio_container_t {
        switch mode {
        case .ignore:
            return container(UV_IGNORE)
        case .inherit:
            var inherited = container(UV_INHERIT_FD)
            inherited.data.fd = fd
            return inherited
        case .pipe:
            // Flags are from the child's point of view: it writes, we read.
            return container(uv_stdio_flags(UV_CREATE_PIPE.rawValue | UV_WRITABLE_PIPE.rawValue))
        }
    }

    private func spawn(argv: [String], stdio: inout [uv_stdio_container_t]) -> Int32 {
        let arguments = CStringArray(argv)
        let environment = options.environment.map { variables in
            CStringArray(variables.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        }
        let workingDirectory = options.workingDirectory.map { CStringArray([$0]) }
        var uvOptions = uv_process_options_t()
        uvOptions.exit_cb = { handle, status, signal in
            handleOwner(handle?.pointee.data, as: Process.self).didExit(status: status, signal: signal)
        }
        uvOptions.flags = options.newSession ? UV_PROCESS_DETACHED.rawValue : 0
        return arguments.withPointer { argvPointer in
            uvOptions.file = UnsafePointer(argvPointer[0])
            uvOptions.args = argvPointer
            return stdio.withUnsafeMutableBufferPointer { stdioPointer in
                uvOptions.stdio = stdioPointer.baseAddress
                uvOptions.stdio_count = Int32(stdioPointer.count)
                let spawnWithCwd = { (cwd: UnsafePointer<CChar>?) -> Int32 in
                    uvOptions.cwd = cwd
                    if let environment {
                        return environment.withPointer { envPointer in
                            uvOptions.env = envPointer
                            return uv_spawn(self.storage.uvLoop, self.uvProcess, &uvOptions)
                        }
                    }
                    return uv_spawn(self.storage.uvLoop, self.uvProcess, &uvOptions)
                }
                if let workingDirectory {
                    return workingDirectory.withPointer { spawnWithCwd(UnsafePointer($0[0])) }
                }
                return spawnWithCwd(nil)
            }
        }
    }

    // MARK: Signals

    /// Sends `signal` to the child — to its whole process group when `options.newSession`.
    /// Throws `.noSuchProcess` once the child has exited (its pid may be reused).
    public func signal(_ signal: Int32) throws(UVError) {
        storage.loop.assertOnLoopThread()
        guard isRunning else { throw UVError(UV_ESRCH, "kill \(pid): the process has exited") }
        if options.newSession {
            try uvCheck(uv_kill(-pid, signal), "kill -\(signal) -\(pid)")
        } else {
            try uvCheck(uv_process_kill(uvProcess, signal), "kill -\(signal) \(pid)")
        }
    }

    /// SIGTERM now; SIGKILL after `grace` milliseconds if the child is still running (at once for
    /// `grace <= 0`). Later calls while terminating are ignored; a no-op after exit.
    public func terminate(grace: Int) {
        guard isRunning, !isTerminating else { return }
        isTerminating = true
        guard grace > 0 else {
            try? signal(SIGKILL)
            return
        }
        // ESRCH here means the exit is already on its way to us; nothing else to do.
        try? signal(SIGTERM)
        do {
            let timer = try Timer(loop: storage.loop)
            escalationTimer = timer
            try timer.start(after: grace) { [self] in
                escalationTimer?.close()
                escalationTimer = nil
                if isRunning { try? signal(SIGKILL) }
            }
        } catch {
            // Without a timer there is no grace period to offer.
            escalationTimer?.close()
            escalationTimer = nil
            try? signal(SIGKILL)
        }
    }

    // MARK: Exit

    private func didExit(status: Int64, signal: Int32) {
        exitStatus = signal != 0 ? .signaled(signal) : .exited(Int32(truncatingIfNeeded: status))
        escalationTimer?.close()
        escalationTimer = nil
        storage.close(nil)

        for output in [stdout, stderr].compactMap({ $0 }) where !output.isClosing {
            if output.isReading {
                pendingOutputs += 1
                output.onInputEnded = { [self] in
                    pendingOutputs -= 1
                    finishIfDone()
                }
            } else {
                output.close(nil)
            }
        }
        guard pendingOutputs > 0 else { return }
        do {
            let timer = try Timer(loop: storage.loop)
            drainTimer = timer
            try timer.start(after: options.outputDrainTimeout) { [self] in
                // Closing fires each pending output's onInputEnded, which finishes.
                stdout?.close(nil)
                stderr?.close(nil)
            }
        } catch {
            stdout?.close(nil)
            stderr?.close(nil)
        }
    }

    func handleDidClose() {
        handleClosed = true
        if exitStatus == nil {
            // Closed before it exited (closeAllHandles): no exit will be reported.
            onExit = nil
            escalationTimer?.close()
            escalationTimer = nil
            return
        }
        finishIfDone()
    }

    private func finishIfDone() {
        guard let status = exitStatus, handleClosed, pendingOutputs == 0, !exitDelivered else { return }
        exitDelivered = true
        drainTimer?.close()
        drainTimer = nil
        stdout?.close(nil)
        stderr?.close(nil)
        let callback = onExit
        onExit = nil
        callback?(status)
    }

    private func closeConnections() {
        control?.close(nil)
        stdout?.close(nil)
        stderr?.close(nil)
    }

    func close(_ onClosed: (() -> Void)?) { storage.close(onClosed) }
}
