import BlenderdProtocol
import Dispatch
import Foundation
import MCP

#if canImport(Glibc)
import Glibc
#endif

/// `blenderctl mcp`: an MCP server on stdin/stdout whose tools forward to the daemon.
///
/// One process serves one MCP client (that is how stdio servers work: the host starts one per
/// client), and it holds one daemon session, so each client gets its own Blender scene. The
/// session opens on the first tool call and closes when the client goes away: stdin at EOF, or
/// SIGTERM/SIGINT/SIGHUP from the host.
public enum MCPServer {
    /// How long a closing server waits for `session.close` (and a cancelled call) before exiting.
    static let closeGrace = 15.0

    /// Serves until the client leaves; blocks the calling thread (a synchronous command's
    /// `run()`), while the server runs on Swift's concurrency pool. Returns the exit status.
    public static func runBlocking(_ configuration: MCPConfiguration) -> Int32 {
        let done = DispatchSemaphore(value: 0)
        let status = StatusBox()
        Task.detached {
            status.value = await serve(configuration)
            done.signal()
        }
        done.wait()
        return status.value
    }

    /// Serves MCP over stdio until the client closes stdin or a signal ends it.
    public static func serve(_ configuration: MCPConfiguration) async -> Int32 {
        // A host that goes away leaves our stdout (and maybe the daemon's socket) unread: a
        // write must fail with EPIPE, not kill the process before it closes the session.
        signal(SIGPIPE, SIG_IGN)

        let link = DaemonLink(configuration: configuration)
        let tools = BlenderTools(link: link)
        let server = Server(
            name: "blenderd",
            version: BlenderdVersion.daemon,
            title: "Blender (blenderd)",
            instructions: ToolCatalog.instructions,
            capabilities: .init(tools: .init(listChanged: false))
        )
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: ToolCatalog.all)
        }
        await server.withMethodHandler(CallTool.self) { params in
            let progress = params._meta?.progressToken.flatMap { token in
                ProgressReporter(server: server, token: token).sink
            }
            return try await tools.call(params.name, params.arguments, progress: progress)
        }

        let signals = SignalWatch(signals: [SIGTERM, SIGINT, SIGHUP])
        do {
            try await server.start(transport: StdioTransport())
        } catch {
            writeStandardError("blenderctl mcp: cannot serve on stdio: \(error)\n")
            return 70  // EX_SOFTWARE
        }
        // Whichever comes first: the client closes stdin, or a signal.
        let stop = AsyncStream<Void> { continuation in
            Task {
                await server.waitUntilCompleted()
                continuation.yield()
            }
            signals.onSignal = { continuation.yield() }
        }
        for await _ in stop { break }
        await link.close(within: closeGrace)
        await server.stop()
        return 0
    }
}

/// Forwards a tool's progress to the client as `notifications/progress` for its token, in the
/// order the link reports it, dropping values that would not increase (MCP requires progress to
/// grow with each notification).
final class ProgressReporter: @unchecked Sendable {
    private let continuation: AsyncStream<ProgressNotification.Parameters>.Continuation
    private let token: ProgressToken
    private var last = -Double.infinity  // on the link's thread only

    init(server: Server, token: ProgressToken) {
        self.token = token
        let (stream, continuation) = AsyncStream<ProgressNotification.Parameters>.makeStream()
        self.continuation = continuation
        Task {
            for await update in stream {
                try? await server.notify(ProgressNotification.message(update))
            }
        }
    }

    deinit { continuation.finish() }

    var sink: ProgressSink {
        { [self] progress, total, message in
            guard progress > last else { return }
            last = progress
            continuation.yield(.init(progressToken: token, progress: progress, total: total, message: message))
        }
    }
}

/// Termination signals as a callback, through Dispatch (no work in a signal handler).
final class SignalWatch: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var handler: (@Sendable () -> Void)?
    private var fired = false

    var onSignal: (@Sendable () -> Void)? {
        get { lock.withLock { handler } }
        set {
            let runNow: Bool = lock.withLock {
                handler = newValue
                return fired
            }
            if runNow { newValue?() }
        }
    }

    init(signals: [Int32]) {
        for number in signals {
            Glibc.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.fire() }
            source.resume()
            sources.append(source)
        }
    }

    private func fire() {
        let run: (@Sendable () -> Void)? = lock.withLock {
            fired = true
            return handler
        }
        run?()
    }
}

final class StatusBox: @unchecked Sendable {
    var value: Int32 = 0
}

/// Writes to fd 2 directly (stdout is the MCP channel; C's `stderr` is shared mutable state).
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}
