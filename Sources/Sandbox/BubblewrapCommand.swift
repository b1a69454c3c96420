// A policy and an inner command turned into bwrap's argv. The order of the mount arguments matters
// (bwrap applies them in order, a later mount hides an earlier one below it):
//
//   namespaces   --unshare-user --unshare-pid --unshare-ipc --unshare-uts [--unshare-net]
//                --unshare-cgroup-try --disable-userns --hostname blenderd
//   privileges   --cap-drop ALL                   (bwrap keeps every capability when the daemon is root)
//   lifetime     --die-with-parent --new-session
//   /tmp         [--size N] --tmpfs /tmp          first, so read-only paths under /tmp stay visible
//   read-only    --ro-bind P P | --symlink T P    each existing path (Debian's /lib -> usr/lib stays a link)
//   kernel fs    --proc /proc --dev /dev [--dev-bind-try D D ...]   GPU device nodes for a pinned worker
//   writable     --bind S S                       last: the session directory, nothing else
//   --remount-ro /                                the skeleton bwrap builds (/etc, parents of binds)
//                                                 is a tmpfs: read-only too, so only S and /tmp take writes
//   environment  --clearenv --setenv K V ...      only the allowed variables, sorted
//   --chdir D -- executable arguments...
//
// File descriptors: bwrap does not close what it inherits, so the worker channel the spawner puts
// on fd 3 (a socketpair end) reaches the worker as fd 3; only fds bwrap opens itself are close-on-exec.
// Process groups: --new-session puts the worker in its own session (no TIOCSTI into a terminal);
// the pool's signal to bwrap's process group reaches bwrap, and when bwrap dies the kernel kills the
// whole pid namespace; --die-with-parent kills the worker if bwrap's parent (the daemon) dies.
// Privileges: bwrap sets PR_SET_NO_NEW_PRIVS; --cap-drop ALL leaves the worker no capability even
// when the daemon runs as root (without it a root daemon's sandbox keeps a full CapEff).

public struct BubblewrapCommand: Equatable, Sendable {
    /// What to spawn: bwrap with `arguments`, an empty environment (bwrap clears the inner one).
    public var command: CommandSpec
    /// bwrap's argv[1...], ending with `--`, the inner executable and its arguments.
    public var arguments: [String] { command.arguments }
    /// Read-only paths left out because they do not exist on this machine.
    public var skippedPaths: [String]
    /// Names (never values) of the inner environment's variables that were not let in.
    public var droppedEnvironmentNames: [String]
    /// The environment the inner command gets.
    public var environment: [String: String]

    /// Fixed, so a script cannot learn the host's name.
    public static let hostname = "blenderd"

    public init(policy: SandboxPolicy, inner: CommandSpec, bubblewrap: String,
                pathKind: (String) -> PathKind) throws(SandboxError) {
        try policy.validate()
        guard inner.executable.hasPrefix("/") else {
            throw SandboxError(code: .invalidPolicy, message: "the sandboxed executable must be an absolute path, not '\(inner.executable)'")
        }
        let session = SandboxPolicy.normalize(policy.sessionDirectory)
        var arguments = ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
        if !policy.allowNetwork { arguments.append("--unshare-net") }
        arguments += ["--unshare-cgroup-try", "--disable-userns", "--hostname", Self.hostname]
        arguments += ["--cap-drop", "ALL"]
        arguments += ["--die-with-parent", "--new-session"]
        if let size = policy.tmpSizeBytes { arguments += ["--size", String(size)] }
        arguments += ["--tmpfs", "/tmp"]

        var skipped: [String] = []
        var bound: [String] = []
        for raw in policy.readOnlyPaths {
            let path = SandboxPolicy.normalize(raw)
            guard !bound.contains(path) else { continue }
            switch pathKind(path) {
            case .missing: skipped.append(path)
            case .directory, .file: arguments += ["--ro-bind", path, path]; bound.append(path)
            case .symlink(let target): arguments += ["--symlink", target, path]; bound.append(path)
            }
        }
        arguments += ["--proc", "/proc", "--dev", "/dev"]
        // After the fresh /dev: a GPU worker's device nodes (skipped by bwrap when absent).
        for device in policy.devicePaths.map(SandboxPolicy.normalize) where device.hasPrefix("/dev/") {
            arguments += ["--dev-bind-try", device, device]
        }
        arguments += ["--bind", session, session]
        arguments += ["--remount-ro", "/"]

        let (environment, dropped) = Self.scrub(inner.environment, policy: policy)
        arguments.append("--clearenv")
        for name in environment.keys.sorted() { arguments += ["--setenv", name, environment[name]!] }
        arguments += ["--chdir", inner.workingDirectory.map(SandboxPolicy.normalize) ?? session]
        arguments += ["--"] + inner.argv

        self.command = CommandSpec(executable: bubblewrap, arguments: arguments, environment: [:], workingDirectory: nil)
        self.skippedPaths = skipped
        self.droppedEnvironmentNames = dropped
        self.environment = environment
    }

    /// The allowed variables of `environment` plus the policy's forced ones; the names dropped.
    static func scrub(_ environment: [String: String], policy: SandboxPolicy) -> ([String: String], [String]) {
        var kept: [String: String] = [:]
        var dropped: [String] = []
        for (name, value) in environment {
            if policy.allowsEnvironmentVariable(name) { kept[name] = value } else { dropped.append(name) }
        }
        kept.merge(policy.forcedEnvironment()) { _, forced in forced }
        return (kept, dropped.filter { policy.forcedEnvironment()[$0] == nil }.sorted())
    }
}

extension SandboxPolicy {
    /// Refuses policies that would defeat themselves: relative paths, a session directory that is
    /// `/` or holds a read-only path (the writable bind would hide the read-only one), a bind that
    /// contains a protected path, the host network in `strict`.
    func validate() throws(SandboxError) {
        let session = Self.normalize(sessionDirectory)
        for path in [sessionDirectory] + readOnlyPaths + protectedPaths where !path.hasPrefix("/") {
            throw SandboxError(code: .invalidPolicy, message: "sandbox paths must be absolute, not '\(path)'")
        }
        guard session != "/" else {
            throw SandboxError(code: .invalidPolicy, message: "the session directory cannot be /")
        }
        for path in readOnlyPaths.map(Self.normalize) where Self.isWithin(path, session) {
            throw SandboxError(code: .invalidPolicy,
                               message: "read-only path \(path) lies in the session directory \(session), which is writable")
        }
        for bind in [session] + readOnlyPaths.map(Self.normalize) {
            for protected in protectedPaths.map(Self.normalize) where Self.isWithin(protected, bind) {
                throw SandboxError(code: .exposesProtectedPath,
                                   message: "binding \(bind) would expose \(protected) inside the sandbox",
                                   remedy: "keep the daemon's socket and runtime directories out of the sandbox's paths")
            }
        }
        if allowNetwork && tier == .strict {
            throw SandboxError(code: .invalidPolicy, message: "the strict sandbox has no network",
                               remedy: "use --sandbox standard to keep the host network")
        }
    }
}
