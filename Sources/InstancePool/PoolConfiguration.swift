// Everything the pool is told at start. Defaults suit a 2-core development machine; the daemon
// maps its command-line flags onto these.

import JSONRPC
import Sandbox

public struct PoolConfiguration: Sendable {
    /// In order of preference: when several fit a request, the first is used.
    public var launchers: [Launcher]
    /// Idle (ready or starting) instances kept for instant leases. With several available
    /// launchers each gets at least one spare (when `warm > 0` and `maxInstances` allows).
    public var warm: Int
    /// Spawned processes alive at once (starting, serving or stopping); attached GUIs don't count.
    public var maxInstances: Int
    public var readyTimeoutMilliseconds: Int
    /// How often idle instances are pinged; 0 turns health checks off.
    public var healthIntervalMilliseconds: Int
    /// A ping unanswered this long kills the instance.
    public var healthTimeoutMilliseconds: Int
    public var resetTimeoutMilliseconds: Int
    /// How long a worker gets to answer worker.shutdown and exit before signals.
    public var shutdownTimeoutMilliseconds: Int
    /// SIGTERM → SIGKILL grace when a worker must be signalled.
    public var terminateGraceMilliseconds: Int
    /// Replace an instance after this many jobs (calls other than `worker.*`); nil: never.
    /// Python state a script leaves outside the scene (modules, handlers) survives worker.reset.
    public var recycleAfterJobs: Int?
    /// Replace an instance whose RSS is above this at release; nil: never. Long-lived Blenders leak.
    public var recycleAboveRSSBytes: Int?
    public var gpus: GPUPolicy
    /// Devices to use instead of detecting them (tests: this machine has no GPU).
    public var simulatedGPUs: [GPUDevice]?
    /// What new instances do when every GPU is taken.
    public var gpuOverflow: GPUOverflow
    /// Waiting acquires one client may have; more fail with -32029.
    public var queueLimitPerClient: Int
    /// Waiting acquires in total.
    public var queueLimit: Int
    /// A waiting acquire older than this fails with -32029 (`queue_timeout`); nil: no limit.
    public var queueTimeoutMilliseconds: Int?
    /// The largest `capture_limit` the daemon sends with script.exec: worker frames up to
    /// 2 × this + 64 MiB are accepted (protocol/worker.md, "Framing").
    public var captureLimitBytes: Int
    public var probeTimeoutMilliseconds: Int
    /// How spawned workers are sandboxed; nil runs them bare (in-process tests with a fake worker
    /// only: blenderd always sets one).
    public var sandbox: InstanceSandbox?
    /// Reset a released headless instance and lease it again (fast), instead of replacing its
    /// process (isolated). `worker.reset` empties the scene, but Python state a script leaves —
    /// a thread it started, a patched module, files in the sandbox's private /tmp — survives it
    /// and could watch the next session; so blenderd reuses only when told to (--reuse-instances).
    public var reuseInstances: Bool = true
    /// Where spawned instances run (--instance-cpus); nil: wherever the scheduler puts them.
    /// Attached GUI Blenders are their owners' processes and are never moved.
    public var pinning: CPUPinning?

    public init(
        launchers: [Launcher],
        warm: Int = 1,
        maxInstances: Int = 4,
        readyTimeoutMilliseconds: Int = 30_000,
        healthIntervalMilliseconds: Int = 15_000,
        healthTimeoutMilliseconds: Int = 5_000,
        resetTimeoutMilliseconds: Int = 10_000,
        shutdownTimeoutMilliseconds: Int = 2_000,
        terminateGraceMilliseconds: Int = 2_000,
        recycleAfterJobs: Int? = 200,
        recycleAboveRSSBytes: Int? = 4 << 30,
        gpus: GPUPolicy = .none,
        simulatedGPUs: [GPUDevice]? = nil,
        gpuOverflow: GPUOverflow = .cpu,
        queueLimitPerClient: Int = 32,
        queueLimit: Int = 256,
        queueTimeoutMilliseconds: Int? = nil,
        captureLimitBytes: Int = 1 << 20,
        probeTimeoutMilliseconds: Int = 60_000,
        sandbox: InstanceSandbox? = nil
    ) {
        self.launchers = launchers
        self.warm = warm
        self.maxInstances = maxInstances
        self.readyTimeoutMilliseconds = readyTimeoutMilliseconds
        self.healthIntervalMilliseconds = healthIntervalMilliseconds
        self.healthTimeoutMilliseconds = healthTimeoutMilliseconds
        self.resetTimeoutMilliseconds = resetTimeoutMilliseconds
        self.shutdownTimeoutMilliseconds = shutdownTimeoutMilliseconds
        self.terminateGraceMilliseconds = terminateGraceMilliseconds
        self.recycleAfterJobs = recycleAfterJobs
        self.recycleAboveRSSBytes = recycleAboveRSSBytes
        self.gpus = gpus
        self.simulatedGPUs = simulatedGPUs
        self.gpuOverflow = gpuOverflow
        self.queueLimitPerClient = queueLimitPerClient
        self.queueLimit = queueLimit
        self.queueTimeoutMilliseconds = queueTimeoutMilliseconds
        self.captureLimitBytes = captureLimitBytes
        self.probeTimeoutMilliseconds = probeTimeoutMilliseconds
        self.sandbox = sandbox
    }

    /// Limits for frames the workers send.
    var workerFrameLimits: FrameLimits {
        FrameLimits(maxFrameBytes: 2 * captureLimitBytes + (64 << 20), maxHeaderBytes: 8 << 10, maxDepth: JSON.maxSupportedDepth)
    }
}
