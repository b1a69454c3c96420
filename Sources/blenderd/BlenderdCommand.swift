import ArgumentParser
import Foundation
import BlenderdProtocol
import Daemon
import InstancePool
import JSONRPC
import Logging
import Sandbox

#if canImport(Glibc)
import Glibc
#endif

/// `blenderd`: parse the command line, build a `DaemonConfiguration`, run the daemon.
@main
struct BlenderdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blenderd",
        abstract: "Serve Blender to programs over JSON-RPC 2.0 on a Unix socket.",
        version: BlenderdVersion.daemon)

    @Option(help: "Unix socket path (default: $BLENDERD_SOCKET, else $XDG_RUNTIME_DIR/blenderd/blenderd.sock, else /tmp/blenderd-$UID/blenderd.sock).")
    var socket: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Largest frame (message or attachment) a client may send, in bytes.")
    var maxFrameBytes: Int = FrameLimits().maxFrameBytes

    @Option(help: "Per-connection queue of unsent replies, in bytes; above it the daemon stops reading that client until half has drained.")
    var maxQueueBytes: Int = 128 << 20

    @Option(help: "Close a client that is over --max-queue-bytes and reads nothing for this long, in seconds.")
    var slowClientTimeout: Double = 30

    @Option(help: "On SIGINT/SIGTERM, how long requests in flight may take before they are cancelled, in seconds.")
    var shutdownGrace: Double = 10

    @Option(help: "Blender executable for headless instances (default: `blender` on PATH).")
    var blender: String?

    @Option(help: "A Python with the `bpy` module (e.g. a venv with bpy==4.4.0) for headless instances; also $BLENDERD_BPY_PYTHON.")
    var bpyPython: String?

    @Option(help: "The add-on directory holding blenderd/worker_main.py (default: found next to the executable, or $BLENDERD_ADDON).")
    var addon: String?

    @Flag(help: "Do not use the Blender executable, only --bpy-python.")
    var noBlender = false

    @Option(help: "Headless instances kept ready.")
    var warm: Int = 1

    @Option(help: "Most instances at once (spawned and attached).")
    var maxInstances: Int = 4

    @Option(help: "GPUs for instances: auto, none, or indices like 0,1 (one instance per GPU).")
    var gpus: String = "none"

    @Option(help: "Run spawned instances on these CPUs only (a list like 1 or 2-3,6) and the daemon on the others: steadier, lower script.exec latency for local clients on the daemon's CPUs, but renders get only these CPUs. Default: no pinning.")
    var instanceCpus: String?

    @Option(help: "Default script.exec time limit, in seconds.")
    var execTimeout: Double = 60

    @Option(help: "Close sessions idle this long, in seconds.")
    var sessionIdleTimeout: Double = 600

    @Option(help: "Recycle an instance after this many sessions/jobs (long-lived Blender leaks).")
    var recycleAfter: Int = 200

    @Option(help: "Recycle an instance whose resident memory exceeds this many MiB.")
    var maxRssMb: Int = 4096

    @Option(help: "Sandbox of spawned instances: strict (bubblewrap required; default), standard (every layer the machine has), trusted (only attached GUI Blenders; refused with spawned instances).")
    var sandbox: String = SandboxTier.default.rawValue

    @Flag(help: "Lease a reset instance to the next session instead of a fresh Blender process: faster session.open under load, but Python state a script leaves (threads, patched modules, /tmp files) can reach later sessions. Only for sessions that trust each other.")
    var reuseInstances = false

    @Option(help: "State directory: sessions, journals, checkpoints, workspaces (default: $XDG_STATE_HOME/blenderd, else ~/.local/state/blenderd; a non-default --socket gets its own subdirectory).")
    var stateDir: String?

    func validate() throws {
        guard warm >= 0, maxInstances >= 1, warm <= maxInstances else {
            throw ValidationError("need 0 <= --warm <= --max-instances and --max-instances >= 1")
        }
        guard GPUPolicy(argument: gpus) != nil else { throw ValidationError("--gpus takes auto, none or indices like 0,1") }
        guard execTimeout > 0, sessionIdleTimeout > 0 else { throw ValidationError("timeouts must be positive") }
        guard recycleAfter >= 1, maxRssMb >= 64 else { throw ValidationError("--recycle-after >= 1 and --max-rss-mb >= 64") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'; use trace, debug, info, notice, warning, error or critical")
        }
        guard maxFrameBytes >= 1024 else { throw ValidationError("--max-frame-bytes must be at least 1024") }
        guard maxQueueBytes >= 64 << 10 else { throw ValidationError("--max-queue-bytes must be at least 65536") }
        guard slowClientTimeout > 0 else { throw ValidationError("--slow-client-timeout must be positive") }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must not be negative") }
        guard SandboxTier(rawValue: sandbox) != nil else { throw ValidationError("--sandbox takes strict, standard or trusted") }
        if let stateDir, !stateDir.hasPrefix("/") { throw ValidationError("--state-dir must be an absolute path") }
        _ = try placement()
    }

    /// --instance-cpus checked against this machine: the instances' pinning and the CPUs left for
    /// the daemon (nil when the instances have all of them: the daemon then stays where it is).
    func placement() throws -> (instances: CPUPinning, daemon: CPUSet?)? {
        guard let instanceCpus else { return nil }
        let allowed: CPUSet
        do { allowed = try CPUAffinity.allowed() } catch {
            throw ValidationError("--instance-cpus: cannot read which CPUs blenderd may use (\(error)); drop the flag")
        }
        guard let cpus = CPUSet(list: instanceCpus) else {
            throw ValidationError("--instance-cpus takes a CPU list like 1 or 2-3,6; blenderd may use CPUs \(allowed) here")
        }
        guard cpus.isSubset(of: allowed) else {
            throw ValidationError("--instance-cpus \(cpus): blenderd may only use CPUs \(allowed) here; pick from those")
        }
        guard let taskset = CPUPinning.findTaskset() else {
            throw ValidationError("--instance-cpus needs taskset (util-linux), which is not on PATH; install util-linux or drop the flag")
        }
        return (CPUPinning(cpus: cpus, taskset: taskset), allowed.subtracting(cpus))
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "blenderd")

        var limits = FrameLimits()
        limits.maxFrameBytes = maxFrameBytes

        var launchers: [Launcher] = []
        if let addonDirectory = AddonDirectory.find(explicit: addon) {
            let python = bpyPython ?? ProcessInfo.processInfo.environment["BLENDERD_BPY_PYTHON"]
            launchers = Launcher.detect(blender: noBlender ? nil : blender, bpyPython: python, addonDirectory: addonDirectory)
            if noBlender { launchers.removeAll { $0.kind == .executable } }
            logger.info("launchers", metadata: ["addon": "\(addonDirectory)", "launchers": "\(launchers.map(\.description))"])
        } else {
            logger.error("add-on not found (blenderd/worker_main.py): no Blender instances; pass --addon DIR or set BLENDERD_ADDON")
        }
        if launchers.isEmpty {
            logger.warning("no Blender launcher: session.open will answer -32002; pass --blender or --bpy-python")
        }
        var pool = PoolConfiguration(
            launchers: launchers, warm: launchers.isEmpty ? 0 : warm, maxInstances: maxInstances,
            recycleAfterJobs: recycleAfter, recycleAboveRSSBytes: maxRssMb << 20,
            gpus: GPUPolicy(argument: gpus) ?? .none)
        if let placement = try placement() {
            pool.pinning = placement.instances
            if let daemonCPUs = placement.daemon {
                // Before the loop and libuv's thread pool exist: threads started later inherit it.
                do { try CPUAffinity.pinProcess(to: daemonCPUs) } catch {
                    writeStandardError("blenderd: cannot move the daemon to CPUs \(daemonCPUs): \(error)\n  remedy: drop --instance-cpus, or run blenderd where it may set its own CPU affinity\n")
                    throw ExitCode(1)
                }
                logger.info("CPU placement: instances on CPUs \(placement.instances.cpus), the daemon on \(daemonCPUs)")
            } else {
                logger.notice("CPU placement: instances on CPUs \(placement.instances.cpus), which are all this machine allows; the daemon shares them")
            }
        }
        let socketPath = SocketPath.resolve(explicit: socket)
        var configuration = DaemonConfiguration(
            socketPath: socketPath,
            limits: limits,
            maxQueueBytes: maxQueueBytes,
            slowClientTimeoutMilliseconds: UInt64(slowClientTimeout * 1000),
            shutdownGraceMilliseconds: UInt64(shutdownGrace * 1000),
            pool: pool,
            execTimeoutMilliseconds: Int(execTimeout * 1000),
            sessionIdleTimeoutMilliseconds: UInt64(sessionIdleTimeout * 1000),
            stateDirectory: stateDir ?? StateDirectory.defaultPath(socketPath: socketPath, defaultSocketPath: SocketPath.defaultPath()),
            sandboxTier: SandboxTier(rawValue: sandbox) ?? .default)
        configuration.reuseInstances = reuseInstances
        do {
            try Daemon(configuration: configuration, logger: logger).run()
        } catch {
            logger.critical("cannot serve", metadata: ["error": "\(error)"])
            writeStandardError("blenderd: \(error)\n")
            throw ExitCode(error.code == .alreadyRunning ? 3 : 1)
        }
    }
}

/// Writes to fd 2 directly: C's `stderr` global is shared mutable state Swift 6 will not touch.
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}
