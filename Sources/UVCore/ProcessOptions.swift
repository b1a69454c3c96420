// What to spawn and how. Plain values, so callers (InstancePool, Sandbox) can build and test them
// without a loop.

extension Process {
    /// What a child's stdout or stderr is connected to. (stdin is always /dev/null.)
    public enum StdioMode: Hashable, Sendable {
        /// /dev/null.
        case ignore
        /// The daemon's own descriptor (e.g. its stderr log).
        case inherit
        /// A pipe, exposed as `Process.stdout` / `Process.stderr` for the caller to read.
        case pipe
    }

    public struct Options: Sendable {
        /// A path, or a name looked up in PATH (the child's PATH when `environment` is given).
        /// With `parentDeathSignal` we resolve it ourselves first, so the child's argv[0] is the
        /// resolved path.
        public var executable: String
        /// argv[1...]; argv[0] is `executable`.
        public var arguments: [String]
        /// nil: inherit the daemon's environment. Otherwise exactly these variables.
        public var environment: [String: String]?
        /// nil: the daemon's working directory.
        public var workingDirectory: String?
        /// A socketpair whose child end is the child's fd 3 and whose other end is
        /// `Process.control`. Nothing else can reach the child through it.
        public var controlChannel: Bool
        public var stdout: StdioMode
        public var stderr: StdioMode
        /// setsid() in the child: it leads a new session and process group, and `signal` /
        /// `terminate` reach the whole group (kill(-pid)), grandchildren included.
        public var newSession: Bool
        /// Signal the kernel sends the child when the spawning thread dies (see
        /// ParentDeathSignal.swift). Requires setpriv; spawn throws `SpawnError` without it.
        public var parentDeathSignal: Int32?
        /// How long, after the child exits, to wait for EOF on `.pipe` outputs that are being
        /// read (a grandchild may hold them open) before closing them anyway. Milliseconds.
        public var outputDrainTimeout: Int

        public init(
            executable: String,
            arguments: [String] = [],
            environment: [String: String]? = nil,
            workingDirectory: String? = nil,
            controlChannel: Bool = false,
            stdout: StdioMode = .ignore,
            stderr: StdioMode = .inherit,
            newSession: Bool = true,
            parentDeathSignal: Int32? = nil,
            outputDrainTimeout: Int = 2000
        ) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.controlChannel = controlChannel
            self.stdout = stdout
            self.stderr = stderr
            self.newSession = newSession
            self.parentDeathSignal = parentDeathSignal
            self.outputDrainTimeout = outputDrainTimeout
        }
    }

    /// Whether `parentDeathSignal` can be honoured here (setpriv is installed).
    public static var isParentDeathSignalAvailable: Bool { ParentDeathSignal.setprivPath != nil }
}
