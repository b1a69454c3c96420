// How the pool sandboxes the workers it spawns (ARCHITECTURE.md, "Sandbox, layered").
//
// Every spawned instance gets a workspace, `<workspaces>/<instance id>`: the only writable
// directory inside its sandbox, its HOME, and what a script sees as "the session directory". A
// warm spare exists before any session does, and bubblewrap's binds are fixed at spawn, so the
// workspace belongs to the instance, not to the session: the pool empties it whenever a lease ends,
// and the daemon moves what a session keeps (checkpoints) out of it into the session's own
// directory, which no sandbox ever sees.
//
// The OS layers (bubblewrap, no_new_privs, rlimits) come from `Sandbox.wrap`; the worker adds
// Landlock and its audit hook itself, told by `--sandbox JSON`, and reports them in worker.ready.

import Foundation
import Sandbox

public struct InstanceSandbox: Sendable {
    public var tier: SandboxTier
    /// Parent of the instances' workspaces; created 0700 if missing.
    public var workspacesDirectory: String
    /// Never visible in a sandbox: the socket and runtime directories, the state directory.
    public var protectedPaths: [String]
    public var limits: ResourceLimits?
    public var host: SandboxHost

    public init(tier: SandboxTier, workspacesDirectory: String, protectedPaths: [String],
                limits: ResourceLimits? = nil, host: SandboxHost = .detect()) {
        self.tier = tier
        self.workspacesDirectory = workspacesDirectory
        self.protectedPaths = protectedPaths
        self.limits = limits
        self.host = host
    }

    public func workspace(for instanceID: String) -> String {
        workspacesDirectory + "/" + instanceID
    }

    /// The report before any instance runs (what `daemon.info` shows): the OS layers as planned
    /// for this machine, Landlock and the audit hook as the workers will report them.
    public func plannedReport(executable: String = "/usr/bin/blender", addonDirectory: String? = nil) -> SandboxReport {
        SandboxReport.make(policy: policy(workspace: workspace(for: "i0"), executable: executable, addonDirectory: addonDirectory), host: host)
    }

    func policy(workspace: String, executable: String, addonDirectory: String?) -> SandboxPolicy {
        SandboxPolicy.worker(tier: tier, sessionDirectory: workspace, executable: executable,
                             addonDirectory: addonDirectory, protectedPaths: protectedPaths, limits: limits)
    }

    /// What the pool spawns for `spec` of `launcher`: the wrapped command, the report of the OS
    /// layers, and the worker's `--sandbox` argument. Creates the (empty) workspace.
    func prepare(instanceID: String, spec: LaunchSpec, launcher: Launcher) throws -> PreparedLaunch {
        let workspace = workspace(for: instanceID)
        try Workspace.create(workspace)
        var policy = policy(workspace: workspace, executable: launcher.path,
                            addonDirectory: launcher.addonDirectory.isEmpty ? nil : launcher.addonDirectory)
        if let index = spec.environment["BLENDERD_GPU_INDEX"].flatMap(Int.init) {
            // A GPU-pinned worker needs its device nodes; CPU workers never see any.
            policy.devicePaths = SandboxPolicy.gpuDevices(index: index)
        }
        var inner = CommandSpec(executable: spec.executable, arguments: spec.arguments,
                                environment: spec.environment, workingDirectory: workspace)
        var wrapped = try Sandbox.wrap(inner, policy: policy, host: host)
        if !launcher.isCustom {
            let config = WorkerSandboxConfig(
                tier: tier, workspace: workspace, readOnly: policy.readOnlyPaths,
                writable: wrapped.bubblewrap == nil ? [] : ["/tmp"], network: policy.allowNetwork)
            inner.arguments += ["--sandbox", config.json]
            wrapped = try Sandbox.wrap(inner, policy: policy, host: host)
        }
        let command = wrapped.command
        return PreparedLaunch(
            spec: LaunchSpec(executable: command.executable, arguments: command.arguments,
                             environment: command.environment, workingDirectory: command.workingDirectory),
            report: wrapped.report, workspace: workspace, skippedPaths: wrapped.skippedPaths,
            droppedEnvironmentNames: wrapped.droppedEnvironmentNames)
    }

    struct PreparedLaunch {
        var spec: LaunchSpec
        var report: SandboxReport
        var workspace: String
        var skippedPaths: [String]
        var droppedEnvironmentNames: [String]
    }
}

/// The worker's `--sandbox` argument (protocol/worker.md, "Sandbox"): what Landlock and the audit
/// hook allow. Paths are the same inside bubblewrap as outside (it binds them in place).
struct WorkerSandboxConfig: Encodable {
    var tier: SandboxTier
    var workspace: String
    var readOnly: [String]
    var writable: [String]
    var network: Bool

    enum CodingKeys: String, CodingKey {
        case tier, workspace, readOnly = "read_only", writable, network
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The file-system side of workspaces: create, empty between leases, remove when the instance dies.
/// Small directories on a local disk: done synchronously on the loop thread.
public enum Workspace {
    public static func create(_ path: String) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) { try manager.removeItem(atPath: path) }
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Exactly 0700 whatever the umask: the sandbox must be able to enter it, nobody else.
        try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
    }

    /// Removes everything inside `path`, keeping the directory (bwrap's bind points at it).
    public static func empty(_ path: String) throws {
        let manager = FileManager.default
        for name in try manager.contentsOfDirectory(atPath: path) {
            try forceRemove(path + "/" + name)
        }
    }

    public static func remove(_ path: String) {
        try? forceRemove(path)
    }

    /// Removes a dead instance's workspace without holding up the loop thread: a workspace can
    /// hold thousands of files (Blender's and Mesa's caches under its HOME), and deleting them
    /// inline stalled every client for 10–20 ms. The directory is renamed away at once (so its
    /// name can be reused) and deleted on a background queue; it touches no loop state.
    public static func removeInBackground(_ path: String) {
        let trash = path + ".trash-\(UInt32.random(in: 0...UInt32.max))"
        let target = rename(path, trash) == 0 ? trash : path
        DispatchQueue.global(qos: .utility).async { try? forceRemove(target) }
    }

    /// removeItem, and when that fails because a script took the permissions off its own
    /// directories (chmod 000 is allowed inside the workspace), gives them back and tries again.
    static func forceRemove(_ path: String) throws {
        let manager = FileManager.default
        do {
            try manager.removeItem(atPath: path)
        } catch {
            restorePermissions(path)
            try manager.removeItem(atPath: path)
        }
    }

    private static func restorePermissions(_ path: String) {
        let manager = FileManager.default
        // attributesOfItem is lstat: a symlink out of the workspace is never followed.
        guard let attributes = try? manager.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeDirectory else { return }
        try? manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        for name in (try? manager.contentsOfDirectory(atPath: path)) ?? [] {
            restorePermissions(path + "/" + name)
        }
    }
}
