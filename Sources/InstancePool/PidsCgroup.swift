// A process-count limit that holds for root too. RLIMIT_NPROC is per user and the kernel exempts
// uid 0 — and a daemon running as root maps the sandbox's uid 0 to host uid 0 — so a fork bomb
// there is stopped only by the call's timeout. A pids cgroup per instance counts every task the
// worker starts, whoever runs it. The spawned command joins it before it execs (`joining`), so
// bwrap, Blender and everything a script forks are counted.
//
// Where: cgroup v2 (`/sys/fs/cgroup` with the pids controller) or v1 (`/sys/fs/cgroup/pids`),
// under `blenderd-<daemon pid>-<random>/<instance>`. Needs write access there (root, or a delegated
// subtree); otherwise the layer is reported not applied and RLIMIT_NPROC is what is left.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct PidsCgroup: Sendable {
    /// The directory instance cgroups are made in.
    public let parent: String

    /// Finds a writable pids hierarchy and makes `blenderd-<pid>` in it; nil with the reason when
    /// there is none.
    public static func create(root: String = "/sys/fs/cgroup") -> Result<PidsCgroup, PidsCgroupError> {
        let candidates: [String]
        if let controllers = readFile(root + "/cgroup.controllers"), controllers.split(separator: " ").contains("pids") {
            candidates = [root]  // v2
        } else {
            candidates = [root + "/pids"]  // v1
        }
        for base in candidates where access(base, W_OK) == 0 {
            // Unique per pool: tests run several pools in one process.
            let parent = base + "/blenderd-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
            if mkdir(parent, 0o755) == 0 || errno == EEXIST {
                if base == root {
                    // v2: children get the pids controller only if the parent enables it.
                    _ = writeFile(parent + "/cgroup.subtree_control", "+pids")
                }
                return .success(PidsCgroup(parent: parent))
            }
        }
        return .failure(PidsCgroupError(reason: "no writable pids cgroup hierarchy under \(root) (the daemon is not root and has no delegated cgroup)"))
    }

    /// Makes the instance's cgroup limited to `maximum` tasks and returns its `cgroup.procs`.
    public func prepare(instance: String, maximum: UInt64) -> Result<String, PidsCgroupError> {
        let directory = parent + "/" + instance
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            return .failure(PidsCgroupError(reason: "mkdir \(directory): \(String(cString: strerror(errno)))"))
        }
        guard Self.writeFile(directory + "/pids.max", String(maximum)) else {
            return .failure(PidsCgroupError(reason: "cannot set \(directory)/pids.max: \(String(cString: strerror(errno)))"))
        }
        return .success(directory + "/cgroup.procs")
    }

    /// `spec` started inside the cgroup: a shell writes its own pid to `procs` and execs the
    /// command, so the move happens in the child before anything runs — not on the daemon's loop
    /// thread, where writing cgroup.procs can block for tens of milliseconds (it waits for an RCU
    /// grace period) — and everything the worker ever starts inherits the cgroup.
    public static func joining(_ procs: String, _ spec: LaunchSpec) -> LaunchSpec {
        LaunchSpec(executable: "/bin/sh", arguments: ["-c", "echo $$ > \"$0\" && exec \"$@\"", procs, spec.executable] + spec.arguments,
                   environment: spec.environment, workingDirectory: spec.workingDirectory)
    }

    /// Removes an instance's cgroup once the last of its processes has gone. The spawned process
    /// exits first; bwrap's pid namespace is torn down by the kernel right after, so rmdir may
    /// see EBUSY for a few milliseconds: it is retried on a background queue (rmdir in cgroupfs
    /// can also wait for an RCU grace period, which the loop thread must not).
    public func removeWhenEmpty(instance: String) {
        Self.removeInBackground(parent + "/" + instance)
    }

    /// The daemon's own cgroup directory, after its instances' (removeWhenEmpty) are gone.
    public func removeParentWhenEmpty() {
        Self.removeInBackground(parent, after: 0.5)
    }

    private static func removeInBackground(_ path: String, after delay: Double = 0) {
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + delay) {
            for _ in 0..<100 {
                if rmdir(path) == 0 || errno == ENOENT { return }
                usleep(50_000)
            }
        }
    }

    /// Leftovers of daemons that were killed (their pid is gone): removed when empty.
    public func removeStale() {
        let base = (parent as NSString).deletingLastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for name in names where name.hasPrefix("blenderd-") {
            let fields = name.split(separator: "-")
            guard fields.count >= 2, let pid = Int32(fields[1]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let directory = base + "/" + name
            for child in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where child.hasPrefix("i") {
                _ = rmdir(directory + "/" + child)
            }
            _ = rmdir(directory)
        }
    }

    static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func writeFile(_ path: String, _ text: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        return write(fd, bytes, bytes.count) == bytes.count
    }
}

public struct PidsCgroupError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public var description: String { reason }
}
