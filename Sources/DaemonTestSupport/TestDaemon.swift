import Daemon
import Foundation
import JSONRPC
import Logging

/// A real daemon on its own thread, listening on a fresh socket in a private temp directory.
/// Tests talk to it over the socket like any client; `stop()` shuts it down gracefully and waits.
public final class TestDaemon: @unchecked Sendable {
    public let directory: String
    public let socketPath: String
    public let daemon: Daemon
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var runError: (any Error)?

    /// - Parameters:
    ///   - configure: adjusts the configuration (limits, timeouts, allowed uids).
    ///   - extend: registers extra methods (the JSON-RPC spec examples, for instance).
    public init(
        configure: (inout DaemonConfiguration) -> Void = { _ in },
        extend: ((MethodTable) -> Void)? = nil,
        logLevel: Logger.Level = .warning
    ) throws {
        directory = try TemporaryDirectory.make(prefix: "bd-test")
        socketPath = directory + "/blenderd.sock"
        var configuration = DaemonConfiguration(socketPath: socketPath)
        configure(&configuration)
        var logger = Logger(label: "blenderd.test")
        logger.logLevel = logLevel
        daemon = Daemon(configuration: configuration, logger: logger, extend: extend)

        let ready = DispatchSemaphore(value: 0)
        let thread = Thread { [daemon, finished, self] in
            do {
                try daemon.run(onReady: { ready.signal() })
            } catch {
                self.lock.lock()
                self.runError = error
                self.lock.unlock()
                ready.signal()
            }
            finished.signal()
        }
        thread.name = "blenderd-test-loop"
        thread.start()
        ready.wait()
        lock.lock()
        let failure = runError
        lock.unlock()
        if let failure { throw failure }
    }

    /// Graceful shutdown; returns once the loop thread has finished.
    public func stop(timeout: TimeInterval = 10) {
        guard !stopped else { return }
        stopped = true
        daemon.requestShutdown()
        _ = finished.wait(timeout: .now() + timeout)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private var stopped = false

    /// A test that never called `stop()` still gets its daemon shut down and its directory
    /// removed (the loop thread is given a few seconds to finish first).
    deinit {
        stop(timeout: 5)
    }

    /// For a daemon shared by a whole test process (a `static let`, never deinitialised): shut
    /// it down when the process exits, so its Blenders, socket directory and temporary state
    /// directory do not outlive the run in /tmp.
    public func stopAtExit() {
        Self.atExit.lock()
        defer { Self.atExit.unlock() }
        if Self.stopAtExitList.isEmpty {
            atexit {
                TestDaemon.atExit.lock()
                let daemons = TestDaemon.stopAtExitList
                TestDaemon.stopAtExitList = []
                TestDaemon.atExit.unlock()
                for daemon in daemons { daemon.stop(timeout: 5) }
            }
        }
        Self.stopAtExitList.append(self)
    }

    private static let atExit = NSLock()
    nonisolated(unsafe) private static var stopAtExitList: [TestDaemon] = []
}

public enum TemporaryDirectory {
    /// A new 0700 directory under /tmp with a short name (Unix socket paths must stay < 108 bytes).
    public static func make(prefix: String) throws -> String {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "mkdtemp failed: errno \(errno)"])
        }
        return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
