import InstancePool
import JSONRPC
import Sandbox

#if canImport(Glibc)
import Glibc
#endif

/// Everything the daemon needs to start, as plain values (the `blenderd` executable fills it from
/// its command line; tests fill it directly).
public struct DaemonConfiguration: Sendable {
    /// Path of the listening Unix socket. Its directory is created 0700 if missing.
    public var socketPath: String
    public var limits: FrameLimits
    /// Backpressure: once a connection has more than this many reply bytes queued, the daemon
    /// stops reading its requests (and pauses its streams) until the queue drains to half.
    public var maxQueueBytes: Int
    /// A connection over `maxQueueBytes` that makes no write progress for this long is closed,
    /// with the reason logged: a reader that never reads must not pin memory forever.
    public var slowClientTimeoutMilliseconds: UInt64
    /// On SIGINT/SIGTERM, how long requests in flight may take before they are answered
    /// `-32006` and the connections closed.
    public var shutdownGraceMilliseconds: UInt64
    /// Peers whose uid is not in this set get `-32020` and are disconnected. Default: our own uid.
    public var allowedPeerUIDs: Set<UInt32>
    /// The Blender instances: launchers, warm spares, limits. No launchers: the daemon serves
    /// `daemon.*` and answers `session.open` with `-32002` listing nothing available.
    public var pool: PoolConfiguration
    /// `script.exec`'s wall-clock limit when neither the call nor its session sets one.
    public var execTimeoutMilliseconds: Int
    /// A session with no call for this long is closed and its instance returned to the pool.
    public var sessionIdleTimeoutMilliseconds: UInt64
    /// Where sessions, journals, checkpoints and the instances' workspaces live; nil: a fresh
    /// temporary directory, removed at exit (in-process tests).
    public var stateDirectory: String?
    /// The sandbox of spawned instances. nil runs them bare — only for in-process tests with a
    /// fake worker; `blenderd` always sets a tier (strict by default).
    public var sandboxTier: SandboxTier?
    /// rlimits for sandboxed workers; nil: the tier's defaults.
    public var sandboxLimits: ResourceLimits?
    /// With a sandbox: lease a reset instance to the next session instead of a fresh process
    /// (PoolConfiguration.reuseInstances says what that gives up).
    public var reuseInstances: Bool = false
    /// Unlabelled checkpoints kept per session (labelled ones and the current one always are).
    public var keepCheckpoints: Int = 10
    /// request.cancel: SIGINT, then SIGTERM after this long, then SIGKILL after as long again.
    public var cancelGraceMilliseconds: Int = 2_000

    public init(
        socketPath: String,
        limits: FrameLimits = FrameLimits(),
        maxQueueBytes: Int = 128 << 20,
        slowClientTimeoutMilliseconds: UInt64 = 30_000,
        shutdownGraceMilliseconds: UInt64 = 10_000,
        allowedPeerUIDs: Set<UInt32>? = nil,
        pool: PoolConfiguration = PoolConfiguration(launchers: [], warm: 0),
        execTimeoutMilliseconds: Int = 60_000,
        sessionIdleTimeoutMilliseconds: UInt64 = 600_000,
        stateDirectory: String? = nil,
        sandboxTier: SandboxTier? = nil,
        sandboxLimits: ResourceLimits? = nil
    ) {
        self.socketPath = socketPath
        self.limits = limits
        self.maxQueueBytes = maxQueueBytes
        self.slowClientTimeoutMilliseconds = slowClientTimeoutMilliseconds
        self.shutdownGraceMilliseconds = shutdownGraceMilliseconds
        self.allowedPeerUIDs = allowedPeerUIDs ?? [UInt32(getuid())]
        self.pool = pool
        self.execTimeoutMilliseconds = execTimeoutMilliseconds
        self.sessionIdleTimeoutMilliseconds = sessionIdleTimeoutMilliseconds
        self.stateDirectory = stateDirectory
        self.sandboxTier = sandboxTier
        self.sandboxLimits = sandboxLimits
    }
}
