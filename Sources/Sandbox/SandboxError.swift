// Why a sandboxed command could not be built, and what the operator can do about it. Modelled on
// swift-nio's FileSystemError: an extensible `Code`, a message that names the remedy, and where it
// was raised. These are configuration errors of the machine or the policy, never of a script.

public struct SandboxError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case bubblewrapMissing, userNamespacesUnavailable, prlimitMissing, invalidPolicy, exposesProtectedPath
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `bwrap` is not installed (or not executable) and the tier needs the OS layer.
        public static let bubblewrapMissing = Code(.bubblewrapMissing)
        /// bwrap is there but the kernel will not give an unprivileged process a user namespace.
        public static let userNamespacesUnavailable = Code(.userNamespacesUnavailable)
        /// util-linux `prlimit`, which applies the rlimits before bwrap starts, is missing.
        public static let prlimitMissing = Code(.prlimitMissing)
        /// The policy contradicts itself (relative paths, no session directory, ...).
        public static let invalidPolicy = Code(.invalidPolicy)
        /// A bind would make the daemon's socket, runtime or state directory visible in the sandbox.
        public static let exposesProtectedPath = Code(.exposesProtectedPath)

        public var description: String {
            switch value {
            case .bubblewrapMissing: "bubblewrap missing"
            case .userNamespacesUnavailable: "user namespaces unavailable"
            case .prlimitMissing: "prlimit missing"
            case .invalidPolicy: "invalid policy"
            case .exposesProtectedPath: "exposes protected path"
            }
        }
    }

    public var code: Code
    /// What went wrong, in a sentence.
    public var message: String
    /// What to do about it (a command to run, a flag to pass).
    public var remedy: String?
    public var file: String
    public var line: Int

    public init(code: Code, message: String, remedy: String? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.remedy = remedy
        self.file = file
        self.line = line
    }

    public var description: String {
        remedy.map { "\(message) (\($0))" } ?? message
    }

    /// The message, the remedy and where it was raised, for logs.
    public func detailedDescription() -> String {
        var text = "SandboxError: \(code): \(message)"
        if let remedy { text += "\n  remedy: \(remedy)" }
        text += "\n  at: \(file):\(line)"
        return text
    }

    static func bubblewrapMissing(tier: SandboxTier) -> SandboxError {
        SandboxError(code: .bubblewrapMissing,
                     message: "the \(tier.rawValue) sandbox needs bubblewrap (bwrap) and none was found",
                     remedy: "apt-get install bubblewrap, or run with --sandbox standard to accept weaker isolation")
    }

    static func userNamespacesUnavailable(_ reason: String) -> SandboxError {
        SandboxError(code: .userNamespacesUnavailable,
                     message: "bubblewrap cannot create a user namespace: \(reason)",
                     remedy: "sysctl -w kernel.unprivileged_userns_clone=1 (Debian) or "
                         + "kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04+), or run with --sandbox standard")
    }

    static func prlimitMissing() -> SandboxError {
        SandboxError(code: .prlimitMissing,
                     message: "the resource limits are applied by util-linux prlimit and none was found",
                     remedy: "apt-get install util-linux")
    }
}
