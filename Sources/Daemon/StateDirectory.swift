// The daemon's state directory (`--state-dir`): what survives a restart, and the instances'
// workspaces (kept on the same file system so a checkpoint moves out of a workspace by rename).
//
//   <state>/lock                          flock'd by the running daemon: one daemon per directory
//   <state>/instances/<instance>/         workspaces, bound into the sandboxes; wiped at start
//   <state>/sessions/<session>/session.json   id, token, requirements, policy (0600)
//   <state>/sessions/<session>/journal.jsonl  one line per call that changed the scene
//   <state>/sessions/<session>/checkpoints/<id>.blend
//   <state>/jobs/<job>/scene.blend         a farm job's copy of its scene; frames/ by default;
//                                          wiped at start (jobs do not survive a restart)
//
// Nothing under <state> except a workspace is ever visible inside a sandbox.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

public struct StateDirectory: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public var instances: String { root + "/instances" }
    public var sessions: String { root + "/sessions" }
    public var jobs: String { root + "/jobs" }
    public func job(_ id: String) -> String { jobs + "/" + id }
    public func session(_ id: String) -> String { sessions + "/" + id }
    public func checkpoints(_ session: String) -> String { self.session(session) + "/checkpoints" }

    /// The default: `$XDG_STATE_HOME/blenderd` (else `~/.local/state/blenderd`) for the default
    /// socket; a daemon on another socket gets its own subdirectory, so test daemons and a user's
    /// daemon never share sessions or workspaces.
    public static func defaultPath(socketPath: String, defaultSocketPath: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        let base: String
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            base = state + "/blenderd"
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            base = home + "/.local/state/blenderd"
        } else {
            base = "/tmp/blenderd-state-\(getuid())"
        }
        guard socketPath != defaultSocketPath else { return base }
        return base + "/sockets/" + fnv1a(socketPath)
    }

    /// Creates the layout (0700), takes the lock, and clears workspaces a killed daemon left.
    /// Returns the lock's descriptor, held for the daemon's life.
    func open() throws(DaemonError) -> Int32 {
        let manager = FileManager.default
        for directory in [root, instances, sessions, jobs] {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                // An existing directory keeps its mode: tighten it (the sessions' tokens live here).
                _ = chmod(directory, 0o700)
            } catch {
                throw DaemonError(.stateDirectory, "cannot create the state directory \(directory)",
                                  remedy: "pass a writable --state-dir", cause: error)
            }
        }
        let fd = Glibc.open(root + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DaemonError(.stateDirectory, "cannot open \(root)/lock: \(String(cString: strerror(errno)))",
                              remedy: "pass a writable --state-dir")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw DaemonError(.stateDirectory, "another blenderd uses the state directory \(root)",
                              remedy: "stop that daemon, or give this one its own --state-dir")
        }
        // Workspaces belong to instances of a previous run: none of them is alive any more.
        // Jobs are not resumed after a restart (protocol/README.md, Farm jobs): their scene copies
        // and default frame directories go too.
        for directory in [instances, jobs] {
            for name in (try? manager.contentsOfDirectory(atPath: directory)) ?? [] {
                try? manager.removeItem(atPath: directory + "/" + name)
            }
        }
        return fd
    }

    /// 64-bit FNV-1a as 16 hex digits: a stable short name for a socket path.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
