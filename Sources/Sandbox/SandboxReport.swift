// Which layers a policy yields on this machine, for `daemon.info`, `instance.list` and the log.
// Every layer is listed: one that does not apply says why, so nothing is skipped silently.

public struct SandboxReport: Hashable, Sendable, Codable {
    public enum LayerName: String, Hashable, Sendable, Codable, CaseIterable {
        case bubblewrap
        /// No network but loopback: bwrap's --unshare-net, or `unshare --net` when bwrap is missing.
        case networkNamespace = "network_namespace"
        case landlock
        case noNewPrivs = "no_new_privs"
        case rlimits
        /// The worker's Python audit hook: clear errors for forbidden calls, not a boundary.
        case auditHook = "audit_hook"
        /// A pids cgroup per instance: the process limit that also holds when the daemon is root
        /// (RLIMIT_NPROC does not bind uid 0).
        case pidsCgroup = "pids_cgroup"

    }

    public enum Status: String, Hashable, Sendable, Codable {
        case applied
        case notApplied = "not_applied"
        /// Designed but not built yet (Landlock, applied by the worker to itself).
        case planned
    }

    public struct Layer: Hashable, Sendable, Codable {
        public var name: LayerName
        public var status: Status
        /// Why a layer is not applied; nil when it is.
        public var reason: String?
        /// What an applied layer does here (the bwrap path, the limits).
        public var detail: String?

        public init(name: LayerName, status: Status, reason: String? = nil, detail: String? = nil) {
            self.name = name
            self.status = status
            self.reason = reason
            self.detail = detail
        }
    }

    public var tier: SandboxTier
    public var layers: [Layer]

    public init(tier: SandboxTier, layers: [Layer]) {
        self.tier = tier
        self.layers = layers
    }

    public subscript(_ name: LayerName) -> Layer? { layers.first { $0.name == name } }

    /// Replaces the layer of the same name (or adds it): a worker's own report of Landlock and
    /// its audit hook supersedes the daemon's plan.
    public mutating func update(_ layer: Layer) {
        if let index = layers.firstIndex(where: { $0.name == layer.name }) {
            layers[index] = layer
        } else {
            layers.append(layer)
        }
    }

    public var applied: [LayerName] { layers.filter { $0.status == .applied }.map(\.name) }

    /// One line per layer, for the daemon's log at start.
    public var lines: [String] {
        layers.map { layer in
            var line = "sandbox \(tier): \(layer.name.rawValue) \(layer.status.rawValue)"
            if let reason = layer.reason { line += ": \(reason)" }
            if let detail = layer.detail { line += " (\(detail))" }
            return line
        }
    }

    /// The report for `policy` on `host`, without building a command (what `daemon.info` shows
    /// before any instance starts). `Sandbox.wrap` returns the same report with the command.
    public static func make(policy: SandboxPolicy, host: SandboxHost) -> SandboxReport {
        Sandbox.plan(policy: policy, host: host).report
    }
}
