import ArgumentParser
import BlenderdProtocol
import Daemon
import JSONRPC
import Logging

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

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown --log-level '\(logLevel)'; use trace, debug, info, notice, warning, error or critical")
        }
        guard maxFrameBytes >= 1024 else { throw ValidationError("--max-frame-bytes must be at least 1024") }
        guard maxQueueBytes >= 64 << 10 else { throw ValidationError("--max-queue-bytes must be at least 65536") }
        guard slowClientTimeout > 0 else { throw ValidationError("--slow-client-timeout must be positive") }
        guard shutdownGrace >= 0 else { throw ValidationError("--shutdown-grace must not be negative") }
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
        let configuration = DaemonConfiguration(
            socketPath: SocketPath.resolve(explicit: socket),
            limits: limits,
            maxQueueBytes: maxQueueBytes,
            slowClientTimeoutMilliseconds: UInt64(slowClientTimeout * 1000),
            shutdownGraceMilliseconds: UInt64(shutdownGrace * 1000))
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
