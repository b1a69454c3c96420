// Counters and timings the pool keeps for `daemon.info`, metrics and the benchmarks.

public struct PoolStatistics: Sendable, Equatable {
    public var spawned = 0
    public var becameReady = 0
    /// Deaths the pool did not ask for (crashes, kills after timeouts or violations, failed starts).
    public var crashed = 0
    public var timedOut = 0
    public var recycled = 0
    public var resets = 0
    /// Round trip of the last worker.reset, and the worker's own figure for it.
    public var lastResetMilliseconds: Double?
    public var lastWorkerResetMilliseconds: Double?
    public var totalResetMilliseconds: Double = 0
    /// Spawn → worker.ready of the last instance of each launcher kind.
    public var lastReadyMilliseconds: [LauncherKind: Double] = [:]
    public var leases = 0
    /// Acquires that had to wait in the queue.
    public var queued = 0
    public var rejectedQueueFull = 0
    /// Exponentially weighted mean lease length, for `retry_after` estimates.
    public var averageLeaseSeconds: Double?

    public var averageResetMilliseconds: Double? { resets == 0 ? nil : totalResetMilliseconds / Double(resets) }

    mutating func recordLease(seconds: Double) {
        averageLeaseSeconds = averageLeaseSeconds.map { 0.8 * $0 + 0.2 * seconds } ?? seconds
    }
}
