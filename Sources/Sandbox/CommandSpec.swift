// A command to run, as a plain value: the sandbox's input (the worker command the launcher built)
// and its output (bwrap or prlimit wrapping it). It mirrors InstancePool's LaunchSpec field for
// field so the pool can convert both ways without Sandbox depending on the pool.

public struct CommandSpec: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// An absolute path (inside a sandbox nothing resolves a bare name the way the daemon would).
    public var executable: String
    /// argv[1...].
    public var arguments: [String]
    /// The whole environment of the process: nothing else is inherited.
    public var environment: [String: String]
    /// nil: the spawner's working directory.
    public var workingDirectory: String?

    public init(executable: String, arguments: [String] = [], environment: [String: String] = [:],
                workingDirectory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
    }

    /// argv[0...].
    public var argv: [String] { [executable] + arguments }

    /// The command line as a shell would show it (for logs), variables left out.
    public var description: String {
        argv.map { $0.isEmpty || $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}
