// The view of an instance that `instance.list` returns: plain Codable values, snake_case keys.

import Foundation
import Sandbox

public struct InstanceSnapshot: Codable, Sendable, Equatable {
    public var id: String
    public var state: InstanceState
    public var kind: LauncherKind
    public var headless: Bool
    /// "4.4.0"; nil until the worker reported it.
    public var blender: String?
    public var python: String?
    public var engines: [String]
    public var devices: [WorkerInfo.Device]
    /// The device the instance is pinned to.
    public var gpu: GPUDevice?
    public var pid: Int32
    public var rssBytes: Int?
    public var jobs: Int
    /// The session holding it.
    public var lease: String?
    /// RFC 3339, UTC.
    public var startedAt: String
    public var uptimeSeconds: Double
    /// Spawn → worker.ready in milliseconds.
    public var readyMilliseconds: Double?
    /// The launcher's executable (Blender or Python); nil for an attached GUI.
    public var launcher: String?
    /// Its sandbox's tier and layers (applied or why not); nil when it runs unsandboxed.
    public var sandbox: SandboxReport?
    /// The only writable directory inside its sandbox.
    public var workspace: String?
    /// The CPUs it may run on (blenderd --instance-cpus), ascending; nil: any the scheduler picks.
    public var cpus: [Int]?

    enum CodingKeys: String, CodingKey {
        case id, state, kind, headless, blender, python, engines, devices, gpu, pid
        case rssBytes = "rss_bytes", jobs, lease, startedAt = "started_at", uptimeSeconds = "uptime_s"
        case readyMilliseconds = "ready_ms", launcher, sandbox, workspace, cpus
    }
}

extension Instance {
    /// Reads RSS from /proc now (a few microseconds per instance).
    public var snapshot: InstanceSnapshot {
        InstanceSnapshot(
            id: id, state: state, kind: kind, headless: headless,
            blender: info.map { $0.blender.version.description }, python: info?.python,
            engines: info?.engines ?? [], devices: info?.devices ?? [], gpu: gpu, pid: workerPid,
            rssBytes: rssBytes, jobs: jobs, lease: lease,
            startedAt: Self.rfc3339(startedAt), uptimeSeconds: (uptimeSeconds * 1000).rounded() / 1000,
            readyMilliseconds: readyMilliseconds.map { ($0 * 10).rounded() / 10 }, launcher: launcher?.path,
            sandbox: sandboxReport ?? (kind == .gui ? Self.attachedReport : nil), workspace: workspace,
            cpus: cpus?.cpus)
    }

    /// An attached GUI runs in its owner's Blender, unwrapped: the trusted tier.
    static let attachedReport = SandboxReport(tier: .trusted, layers: SandboxReport.LayerName.allCases.map {
        .init(name: $0, status: .notApplied, reason: "trusted tier: a GUI Blender its owner attached")
    })

    private static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
