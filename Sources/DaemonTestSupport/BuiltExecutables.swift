import Foundation

/// Finds `blenderd` and `blenderctl` built next to the test bundle (SwiftPM puts products and
/// the test runner in the same bin directory), so process-level tests use the real executables.
public enum BuiltExecutables {
    public static func path(_ name: String) throws -> String {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
            // Inside a `.xctest` bundle directory on some platforms; walk up a couple of levels.
            for _ in 0..<3 {
                candidates.append(dir.appendingPathComponent(name).path)
                dir = dir.deletingLastPathComponent()
            }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/\(name)").path)
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "\(name) not built; run `swift build` first (looked in \(candidates))"])
    }
}

/// A `blenderd` child process on a private socket.
public final class DaemonProcess {
    public let process = Process()
    public let directory: String
    public let socketPath: String
    /// The daemon's log (its stderr). A file, not a pipe: a pipe nobody drains fills up and
    /// blocks the daemon (and the Blenders writing through it).
    public var logPath: String { directory + "/blenderd.log" }

    public init(arguments: [String] = []) throws {
        directory = try TemporaryDirectory.make(prefix: "bd-proc")
        socketPath = directory + "/blenderd.sock"
        process.executableURL = URL(fileURLWithPath: try BuiltExecutables.path("blenderd"))
        process.arguments = ["--socket", socketPath, "--log-level", "warning"] + arguments
        guard FileManager.default.createFile(atPath: logPath, contents: nil),
              let log = FileHandle(forWritingAtPath: logPath)
        else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "cannot create \(logPath)"])
        }
        process.standardError = log
        try process.run()
        for _ in 0..<200 {
            if FileManager.default.fileExists(atPath: socketPath) { return }
            if !process.isRunning { break }
            usleep(25_000)
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "blenderd did not create \(socketPath)"])
    }

    public var pid: Int32 { process.processIdentifier }

    /// Number of open file descriptors of the daemon process.
    public func openDescriptors() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// SIGTERM and wait up to `timeout` seconds; returns the exit status, or nil if the daemon
    /// ignored SIGTERM (it is then SIGKILLed, so a broken shutdown fails a test instead of hanging it).
    @discardableResult
    public func terminate(timeout: Double = 10) -> Int32? {
        if process.isRunning { kill(pid, SIGTERM) }
        var waited = 0.0
        while process.isRunning && waited < timeout {
            usleep(20_000)
            waited += 0.02
        }
        let ignoredSIGTERM = process.isRunning
        if ignoredSIGTERM { kill(pid, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory)
        return ignoredSIGTERM ? nil : process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }
}
