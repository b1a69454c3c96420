// The rlimits a sandboxed worker runs under, as values, and how they are applied.
//
// Applied by a wrapper, not after the spawn: the spawned command is
//     prlimit --as=S:H --cpu=S:H --nofile=S:H --nproc=S:H --fsize=S:H -- bwrap ... -- blender ...
// util-linux prlimit sets the limits on itself and execs, so they hold from bwrap's first
// instruction and are inherited by everything it starts; calling prlimit(2) on the child's pid after
// the spawn would leave a window in which the worker runs unlimited (libuv's spawn has no hook to call
// setrlimit between fork and exec). A sandboxed process cannot raise a hard limit: that takes
// CAP_SYS_RESOURCE in the initial user namespace, which bwrap's children never have.
//
// Notes per limit:
// - address space (RLIMIT_AS) counts virtual memory: headless Blender 3.4 maps ~0.8 GiB idle and
//   the bpy 4.4 module ~1.1 GiB; GPU drivers reserve far more, so GPU instances need a larger value.
// - CPU seconds (RLIMIT_CPU) add up over the worker's life, not per call (the per-call wall clock
//   timeout is the daemon's): soft sends SIGXCPU, hard (soft + a grace) SIGKILL; the pool must
//   recycle a worker before it gets there.
// - processes (RLIMIT_NPROC) counts threads too and is per user (per user namespace since Linux
//   5.14); Blender starts about one thread per core.

public struct RLimit: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Resource: String, Hashable, Sendable, Codable, CaseIterable {
        // Raw values are prlimit's long option names.
        case addressSpace = "as"
        case cpuSeconds = "cpu"
        case openFiles = "nofile"
        case processes = "nproc"
        case fileSize = "fsize"

        /// The RLIMIT_* constant, for a spawner that calls setrlimit/prlimit(2) itself.
        public var linuxResource: Int32 {
            switch self {
            case .cpuSeconds: 0      // RLIMIT_CPU
            case .fileSize: 1        // RLIMIT_FSIZE
            case .processes: 6       // RLIMIT_NPROC
            case .openFiles: 7       // RLIMIT_NOFILE
            case .addressSpace: 9    // RLIMIT_AS
            }
        }

        /// The name /proc/<pid>/limits uses.
        public var procLimitsName: String {
            switch self {
            case .addressSpace: "Max address space"
            case .cpuSeconds: "Max cpu time"
            case .openFiles: "Max open files"
            case .processes: "Max processes"
            case .fileSize: "Max file size"
            }
        }
    }

    public var resource: Resource
    public var soft: UInt64
    public var hard: UInt64

    public init(resource: Resource, soft: UInt64, hard: UInt64) {
        self.resource = resource
        self.soft = soft
        self.hard = max(soft, hard)
    }

    /// `--as=8589934592:8589934592`.
    public var prlimitOption: String { "--\(resource.rawValue)=\(soft):\(hard)" }

    public var description: String { "\(resource.rawValue)=\(soft):\(hard)" }
}

/// The limits of a policy; nil leaves a resource as the daemon has it.
public struct ResourceLimits: Hashable, Sendable, Codable {
    public var addressSpaceBytes: UInt64?
    public var cpuSeconds: UInt64?
    public var openFiles: UInt64?
    public var processes: UInt64?
    public var fileSizeBytes: UInt64?

    /// Seconds between SIGXCPU (soft) and SIGKILL (hard), so a worker can report before it dies.
    public static let cpuGraceSeconds: UInt64 = 30

    public init(addressSpaceBytes: UInt64? = nil, cpuSeconds: UInt64? = nil, openFiles: UInt64? = nil,
                processes: UInt64? = nil, fileSizeBytes: UInt64? = nil) {
        self.addressSpaceBytes = addressSpaceBytes
        self.cpuSeconds = cpuSeconds
        self.openFiles = openFiles
        self.processes = processes
        self.fileSizeBytes = fileSizeBytes
    }

    public static let none = ResourceLimits()

    /// The defaults per tier: `strict` sized for the examples (one headless Blender, modest scenes),
    /// `standard` for heavy scenes; `trusted` is the user's own Blender and gets none.
    public static func defaults(for tier: SandboxTier) -> ResourceLimits {
        switch tier {
        case .strict:
            ResourceLimits(addressSpaceBytes: 8 * gib, cpuSeconds: 30 * 60, openFiles: 1024,
                           processes: 512, fileSizeBytes: 2 * gib)
        case .standard:
            ResourceLimits(addressSpaceBytes: 32 * gib, cpuSeconds: 4 * 60 * 60, openFiles: 4096,
                           processes: 2048, fileSizeBytes: 16 * gib)
        case .trusted:
            .none
        }
    }

    /// The limits as values for the spawner, in a fixed order.
    public var rlimits: [RLimit] {
        var limits: [RLimit] = []
        if let addressSpaceBytes { limits.append(RLimit(resource: .addressSpace, soft: addressSpaceBytes, hard: addressSpaceBytes)) }
        if let cpuSeconds { limits.append(RLimit(resource: .cpuSeconds, soft: cpuSeconds, hard: cpuSeconds + Self.cpuGraceSeconds)) }
        if let openFiles { limits.append(RLimit(resource: .openFiles, soft: openFiles, hard: openFiles)) }
        if let processes { limits.append(RLimit(resource: .processes, soft: processes, hard: processes)) }
        if let fileSizeBytes { limits.append(RLimit(resource: .fileSize, soft: fileSizeBytes, hard: fileSizeBytes)) }
        return limits
    }

    /// Applies overrides written as `as=16G,cpu=600,nofile=2048,nproc=1024,fsize=4G` (the names are
    /// prlimit's; `unlimited` lifts a limit; K/M/G/T are binary multiples). For a command-line flag.
    public func applying(overrides text: String) throws(SandboxError) -> ResourceLimits {
        var limits = self
        for item in text.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard parts.count == 2, let resource = RLimit.Resource(rawValue: parts[0].lowercased()) else {
                throw SandboxError(code: .invalidPolicy, message: "unknown limit '\(item)'",
                                   remedy: "use as=, cpu=, nofile=, nproc= or fsize=, e.g. as=16G,cpu=600")
            }
            let value: UInt64?
            if parts[1].lowercased() == "unlimited" {
                value = nil
            } else if let parsed = Self.parseSize(parts[1]) {
                value = parsed
            } else {
                throw SandboxError(code: .invalidPolicy, message: "limit '\(item)' is not a number",
                                   remedy: "a number with an optional K, M, G or T suffix, or unlimited")
            }
            switch resource {
            case .addressSpace: limits.addressSpaceBytes = value
            case .cpuSeconds: limits.cpuSeconds = value
            case .openFiles: limits.openFiles = value
            case .processes: limits.processes = value
            case .fileSize: limits.fileSizeBytes = value
            }
        }
        return limits
    }

    private static let gib: UInt64 = 1 << 30

    private static func parseSize(_ text: String) -> UInt64? {
        guard let last = text.last else { return nil }
        let shifts: [Character: UInt64] = ["k": 10, "K": 10, "m": 20, "M": 20, "g": 30, "G": 30, "t": 40, "T": 40]
        if let shift = shifts[last] {
            guard let number = UInt64(text.dropLast()), number <= UInt64.max >> shift else { return nil }
            return number << shift
        }
        return UInt64(text)
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
