import InstancePool
import JSONRPC

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

    public init(
        socketPath: String,
        limits: FrameLimits = FrameLimits(),
        maxQueueBytes: Int = 128 << 20,
        slowClientTimeoutMilliseconds: UInt64 = 30_000,
        shutdownGraceMilliseconds: UInt64 = 10_000,
        allowedPeerUIDs: Set<UInt32>? = nil,
        pool: PoolConfiguration = PoolConfiguration(launchers: [], warm: 0),
        execTimeoutMilliseconds: Int = 60_000,
        sessionIdleTimeoutMilliseconds: UInt64 = 600_000
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
    }
}
