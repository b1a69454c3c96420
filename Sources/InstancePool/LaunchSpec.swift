// Exactly what gets spawned for a worker (or a version probe): a plain value, so launchers and
// sandbox layers can be built and compared in tests without a loop or a process.

import UVCore
#if canImport(Glibc)
import Glibc
#endif

public struct LaunchSpec: Equatable, Sendable, CustomStringConvertible {
    public var executable: String
    /// argv[1...].
    public var arguments: [String]
    /// The child's whole environment: nothing of the daemon's leaks in unless listed here.
    public var environment: [String: String]
    /// nil: the daemon's working directory.
    public var workingDirectory: String?

    public init(executable: String, arguments: [String], environment: [String: String], workingDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// The command line as a shell would show it (for logs), variables left out.
    public var description: String {
        ([executable] + arguments).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    /// UVCore options for this spec. Every child leads its own session (so a kill reaches
    /// whatever Blender forks) and gets SIGKILL when the daemon's loop thread dies, when setpriv
    /// is available (the worker also sets PR_SET_PDEATHSIG itself, so it is belt and braces).
    func processOptions(controlChannel: Bool, stdout: UVCore.Process.StdioMode, stderr: UVCore.Process.StdioMode,
                        outputDrainTimeout: Int = 500) -> UVCore.Process.Options {
        UVCore.Process.Options(
            executable: executable, arguments: arguments, environment: environment,
            workingDirectory: workingDirectory, controlChannel: controlChannel,
            stdout: stdout, stderr: stderr, newSession: true,
            parentDeathSignal: UVCore.Process.isParentDeathSignalAvailable ? SIGKILL : nil,
            outputDrainTimeout: outputDrainTimeout)
    }
}
