@testable import Sandbox

/// A machine described by hand: which paths exist, and where bwrap, prlimit and setpriv are.
func fakeHost(bubblewrap: String? = "/usr/bin/bwrap", prlimit: String? = "/usr/bin/prlimit",
              setpriv: String? = "/usr/bin/setpriv", unshare: String? = nil,
              userNamespaces: SandboxHost.Availability = .available,
              directories: Set<String> = fakeDirectories, files: Set<String> = ["/etc/ld.so.cache"],
              symlinks: [String: String] = ["/lib": "usr/lib", "/bin": "usr/bin"]) -> SandboxHost {
    SandboxHost(bubblewrapPath: bubblewrap, prlimitPath: prlimit, setprivPath: setpriv, unsharePath: unshare,
                userNamespaces: userNamespaces, landlock: .available) { path in
        if let target = symlinks[path] { return .symlink(target) }
        if directories.contains(path) { return .directory }
        if files.contains(path) { return .file }
        return .missing
    }
}

let fakeDirectories: Set<String> = ["/usr", "/etc/fonts", "/etc/ssl", "/opt/blender", "/srv/addon",
                                    "/srv/state/sessions/s1"]

let session = "/srv/state/sessions/s1"

/// What the launcher would hand over, with things that must not cross planted in it.
let workerCommand = CommandSpec(
    executable: "/opt/blender/blender",
    arguments: ["-b", "--factory-startup", "--python", "/srv/addon/blenderd/worker_main.py", "--", "--fd", "3"],
    environment: ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1",
                  "HOME": "/home/daemon-user", "SECRET_TOKEN": "hunter2", "BLENDERD_SOCKET": "/run/user/1000/blenderd/blenderd.sock",
                  "XDG_RUNTIME_DIR": "/run/user/1000", "CUDA_VISIBLE_DEVICES": "1"])

func policy(_ tier: SandboxTier, network: Bool = false, readOnly: [String]? = nil) -> SandboxPolicy {
    SandboxPolicy(tier: tier, sessionDirectory: session,
                  readOnlyPaths: readOnly ?? SandboxPolicy.systemPaths + ["/opt/blender", "/srv/addon"],
                  protectedPaths: ["/run/user/1000/blenderd", "/run/user/1000", "/home/daemon-user"],
                  allowNetwork: network)
}

extension Array where Element == String {
    /// The values following each occurrence of `flag`, `count` at a time.
    func operands(of flag: String, count: Int = 1) -> [[String]] {
        indices.filter { self[$0] == flag }.map { Array(self[($0 + 1)...].prefix(count)) }
    }

    /// The arguments before the first `--`: bwrap's own options, not the inner command's.
    var bubblewrapOptions: [String] { Array(prefix { $0 != "--" }) }
}
