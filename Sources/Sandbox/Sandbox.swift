// The entry point: a worker command and a policy in, the command to spawn and a report out.
//
//   strict    prlimit <limits> -- bwrap <namespaces, binds> -- <worker>; refuses (SandboxError)
//             when bwrap, user namespaces or prlimit are missing.
//   standard  the same where it can; without bwrap it falls back to
//             prlimit <limits> -- unshare --user --map-current-user --net -- setpriv --no-new-privs -- <worker>
//             with the scrubbed environment and the session directory as working directory (Landlock,
//             applied by the worker, is then the file-system layer), and reports bubblewrap as not applied.
//   trusted   the command unchanged (an attached GUI; the daemon never spawns these).

public struct SandboxedCommand: Equatable, Sendable {
    /// What the spawner runs.
    public var command: CommandSpec
    /// The limits as values; `command` already applies them when `report[.rlimits]` is applied.
    public var rlimits: [RLimit]
    /// bwrap's part, when bubblewrap is a layer.
    public var bubblewrap: BubblewrapCommand?
    public var report: SandboxReport
    /// Read-only paths skipped because they do not exist.
    public var skippedPaths: [String] { bubblewrap?.skippedPaths ?? [] }
    /// Names of inner variables that were not let in (to log, never the values).
    public var droppedEnvironmentNames: [String]
}

public enum Sandbox {
    /// Wraps `inner` (an absolute executable, its arguments and environment) in `policy` on `host`.
    public static func wrap(_ inner: CommandSpec, policy: SandboxPolicy,
                            host: SandboxHost = .detect()) throws(SandboxError) -> SandboxedCommand {
        let plan = plan(policy: policy, host: host)
        if let error = plan.error { throw error }
        guard policy.tier.wraps else {
            return SandboxedCommand(command: inner, rlimits: [], bubblewrap: nil, report: plan.report, droppedEnvironmentNames: [])
        }
        try policy.validate()
        let rlimits = policy.limits.rlimits
        var command: CommandSpec
        var bubblewrap: BubblewrapCommand?
        let dropped: [String]
        if let bwrap = plan.bubblewrap {
            let built = try BubblewrapCommand(policy: policy, inner: inner, bubblewrap: bwrap, pathKind: host.pathKind)
            bubblewrap = built
            command = built.command
            dropped = built.droppedEnvironmentNames
        } else {
            // No OS layer (standard only): still a scrubbed environment, HOME in the session, no setuid.
            let (environment, droppedNames) = BubblewrapCommand.scrub(inner.environment, policy: policy)
            dropped = droppedNames
            command = CommandSpec(executable: inner.executable, arguments: inner.arguments, environment: environment,
                                  workingDirectory: inner.workingDirectory ?? SandboxPolicy.normalize(policy.sessionDirectory))
            if let setpriv = plan.setpriv {
                command = CommandSpec(executable: setpriv, arguments: ["--no-new-privs", "--"] + command.argv,
                                      environment: command.environment, workingDirectory: command.workingDirectory)
            }
            if let unshare = plan.unshare {
                // A new user namespace (mapping our uid to itself) lets an unprivileged process
                // own a network namespace with only loopback in it.
                command = CommandSpec(executable: unshare, arguments: ["--user", "--map-current-user", "--net", "--"] + command.argv,
                                      environment: command.environment, workingDirectory: command.workingDirectory)
            }
        }
        if let prlimit = plan.prlimit, !rlimits.isEmpty {
            command = CommandSpec(executable: prlimit, arguments: rlimits.map(\.prlimitOption) + ["--"] + command.argv,
                                  environment: command.environment, workingDirectory: command.workingDirectory)
        }
        return SandboxedCommand(command: command, rlimits: rlimits, bubblewrap: bubblewrap, report: plan.report,
                                droppedEnvironmentNames: dropped)
    }

    // MARK: Planning

    struct Plan {
        var report: SandboxReport
        var bubblewrap: String?
        var prlimit: String?
        var setpriv: String?
        var unshare: String?
        /// Set when the tier refuses what the host offers.
        var error: SandboxError?
    }

    /// Decides the layers once, for both the report and the command.
    static func plan(policy: SandboxPolicy, host: SandboxHost) -> Plan {
        let tier = policy.tier
        guard tier.wraps else {
            let reason = "trusted tier: a GUI Blender its owner attached, not spawned by the daemon"
            return Plan(report: SandboxReport(tier: tier, layers: SandboxReport.LayerName.allCases.map {
                SandboxReport.Layer(name: $0, status: .notApplied, reason: reason)
            }))
        }
        var plan = Plan(report: SandboxReport(tier: tier, layers: []))
        var layers: [SandboxReport.Layer] = []

        // bubblewrap
        if let bwrap = host.bubblewrapPath, host.userNamespaces.isAvailable {
            plan.bubblewrap = bwrap
            let network = policy.allowNetwork ? "host network" : "no network (lo only)"
            layers.append(.init(name: .bubblewrap, status: .applied,
                                detail: "\(bwrap): user, pid, ipc, uts, cgroup namespaces; \(network); read-only system; writable \(SandboxPolicy.normalize(policy.sessionDirectory))"))
        } else {
            let reason: String
            let error: SandboxError
            if host.bubblewrapPath == nil {
                reason = "bwrap not found (apt-get install bubblewrap)"
                error = .bubblewrapMissing(tier: tier)
            } else {
                let why: String
                if case .unavailable(let text) = host.userNamespaces { why = text } else { why = "unknown" }
                reason = "user namespaces unavailable: \(why)"
                error = .userNamespacesUnavailable(why)
            }
            if tier.requiresOSLayer, plan.error == nil { plan.error = error }
            layers.append(.init(name: .bubblewrap, status: .notApplied, reason: reason))
        }

        // network namespace
        if policy.allowNetwork {
            layers.append(.init(name: .networkNamespace, status: .notApplied, reason: "the policy keeps the host network (standard tier)"))
        } else if plan.bubblewrap != nil {
            layers.append(.init(name: .networkNamespace, status: .applied, detail: "bwrap --unshare-net: loopback only"))
        } else if let unshare = host.unsharePath, host.userNamespaces.isAvailable {
            plan.unshare = unshare
            layers.append(.init(name: .networkNamespace, status: .applied, detail: "\(unshare) --user --map-current-user --net: loopback only"))
        } else {
            layers.append(.init(name: .networkNamespace, status: .notApplied,
                                reason: host.unsharePath == nil ? "neither bwrap nor unshare found (apt-get install bubblewrap util-linux)"
                                    : "user namespaces unavailable, so no unprivileged network namespace"))
        }

        // landlock
        let kernel: String
        switch host.landlock {
        case .available: kernel = host.landlockABI.map { "the kernel offers Landlock ABI \($0)" } ?? "the kernel has Landlock"
        case .unavailable(let why): kernel = "kernel support unknown or absent: \(why)"
        }
        layers.append(.init(name: .landlock, status: .planned,
                            reason: "applied by the worker to itself before any user code; its worker.ready report replaces this (\(kernel))"))

        // no_new_privs
        if plan.bubblewrap != nil {
            layers.append(.init(name: .noNewPrivs, status: .applied, detail: "set by bwrap"))
        } else if let setpriv = host.setprivPath {
            plan.setpriv = setpriv
            layers.append(.init(name: .noNewPrivs, status: .applied, detail: "set by \(setpriv) --no-new-privs"))
        } else {
            layers.append(.init(name: .noNewPrivs, status: .notApplied,
                                reason: "neither bwrap nor setpriv found (apt-get install bubblewrap util-linux)"))
        }

        // rlimits
        let rlimits = policy.limits.rlimits
        if rlimits.isEmpty {
            layers.append(.init(name: .rlimits, status: .notApplied, reason: "the policy sets no limits"))
        } else if let prlimit = host.prlimitPath {
            plan.prlimit = prlimit
            layers.append(.init(name: .rlimits, status: .applied,
                                detail: rlimits.map(\.description).joined(separator: " ")))
        } else {
            if tier.requiresOSLayer, plan.error == nil { plan.error = .prlimitMissing() }
            layers.append(.init(name: .rlimits, status: .notApplied, reason: "prlimit not found (apt-get install util-linux)"))
        }
        // The audit hook (Python, in the worker)
        layers.append(.init(name: .auditHook, status: .planned,
                            reason: "installed by the worker before any user code; its worker.ready report replaces this"))
        // pids cgroup (the pool, at worker.ready)
        layers.append(.init(name: .pidsCgroup, status: .planned,
                            reason: "the pool moves each worker into a pids cgroup at worker.ready when it can write one (root or a delegated cgroup)"))
        plan.report.layers = layers
        return plan
    }
}
