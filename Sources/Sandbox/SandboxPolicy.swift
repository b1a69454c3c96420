// A sandbox policy as a plain value: the tier, the one writable directory, what is visible read-only,
// what must never be visible, whether there is a network, the rlimits, and which environment
// variables may cross. `Sandbox.wrap` turns it into a command line; nothing here touches the machine
// except `workerPaths`, which reads a venv's pyvenv.cfg and resolves symlinks.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public struct SandboxPolicy: Hashable, Sendable {
    public var tier: SandboxTier
    /// The session's directory: the only writable path, and HOME inside the sandbox. Absolute.
    public var sessionDirectory: String
    /// Bound read-only at the same path, when they exist (missing ones are skipped and listed in
    /// `BubblewrapCommand.skippedPaths`): the system, Blender, the add-on, a venv. Absolute.
    public var readOnlyPaths: [String]
    /// Never visible inside: the daemon's socket directory, its runtime directory. A policy whose
    /// binds contain one of these is refused (`SandboxError.exposesProtectedPath`).
    public var protectedPaths: [String]
    /// Keep the host's network namespace. Only `standard` may; `strict` always gets only `lo`.
    public var allowNetwork: Bool
    /// Device nodes bound into bwrap's minimal /dev when they exist (a GPU-pinned worker's
    /// `/dev/nvidia*`, `/dev/dri`, `/dev/kfd`); empty for CPU instances.
    public var devicePaths: [String] = []
    public var limits: ResourceLimits
    /// Size of the private /tmp (a tmpfs, so it is memory the address-space limit does not count).
    public var tmpSizeBytes: UInt64?
    /// Variables of the inner command's environment that may cross into the sandbox.
    public var allowedEnvironmentNames: Set<String>
    /// ...and variables starting with one of these (a custom launcher's settings, e.g. `FAKE_`).
    public var allowedEnvironmentPrefixes: [String]

    public init(tier: SandboxTier = .default, sessionDirectory: String,
                readOnlyPaths: [String] = SandboxPolicy.systemPaths, protectedPaths: [String] = [],
                allowNetwork: Bool = false, limits: ResourceLimits? = nil, tmpSizeBytes: UInt64? = nil,
                allowedEnvironmentNames: Set<String> = SandboxPolicy.defaultEnvironmentNames,
                allowedEnvironmentPrefixes: [String] = []) {
        self.tier = tier
        self.sessionDirectory = sessionDirectory
        self.readOnlyPaths = readOnlyPaths
        self.protectedPaths = protectedPaths
        self.allowNetwork = allowNetwork
        self.limits = limits ?? .defaults(for: tier)
        self.tmpSizeBytes = tmpSizeBytes ?? (tier == .strict ? 512 << 20 : tier == .standard ? 2 << 30 : nil)
        self.allowedEnvironmentNames = allowedEnvironmentNames
        self.allowedEnvironmentPrefixes = allowedEnvironmentPrefixes
    }

    /// The policy for a worker: the system paths plus Blender's installation, the add-on and, for
    /// the bpy launcher, the venv and the Python it was made from (see `workerPaths`).
    /// `protectedPaths` should name the daemon's socket and runtime directories; the host's HOME is
    /// added (a bind of HOME itself, or of anything above it, is refused).
    public static func worker(tier: SandboxTier = .default, sessionDirectory: String, executable: String,
                              addonDirectory: String?, protectedPaths: [String],
                              limits: ResourceLimits? = nil) -> SandboxPolicy {
        var protected = protectedPaths
        if let home = getenv("HOME").map({ String(cString: $0) }), home.hasPrefix("/"), normalize(home) != "/" {
            protected.append(home)
        }
        return SandboxPolicy(tier: tier, sessionDirectory: sessionDirectory,
                             readOnlyPaths: systemPaths + workerPaths(executable: executable, addonDirectory: addonDirectory),
                             protectedPaths: protected, limits: limits)
    }

    // MARK: Defaults

    /// What any dynamically linked program needs, plus the parts of /etc Blender and Python read:
    /// the loader cache, fonts, TLS certificates, time zone, Debian's alternatives links, GPU ICDs,
    /// /etc/mtab (a link into /proc, kept as a link: Blender lists mounts and warns without it).
    /// Not /etc as a whole (passwd, hostname, the daemon's configuration) and not /home, /root, /run,
    /// /var or /sys. /proc, /dev and /tmp are fresh inside the sandbox.
    public static let systemPaths: [String] = [
        "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
        "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
        "/etc/fonts", "/etc/ssl", "/etc/ca-certificates", "/etc/alternatives",
        "/etc/localtime", "/etc/timezone", "/etc/mime.types", "/etc/mtab",
        "/etc/OpenCL", "/etc/glvnd", "/etc/vulkan",
    ]

    /// What the worker needs (Launcher.baseEnvironment builds these) and GPU pinning.
    public static let defaultEnvironmentNames: Set<String> = [
        "PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ",
        "PYTHONPATH", "PYTHONNOUSERSITE", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",
        "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "ONEAPI_DEVICE_SELECTOR",
        "BLENDERD_GPU_INDEX", "BLENDERD_GPU_TYPE",
    ]

    /// Set inside every sandbox whatever the inner command says: HOME is the session directory
    /// (Blender resolves its user config under it; the host's HOME is never visible), TMPDIR the
    /// private /tmp, and Python does not try to write bytecode next to read-only sources.
    public func forcedEnvironment() -> [String: String] {
        ["HOME": sessionDirectory, "TMPDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"]
    }

    public func allowsEnvironmentVariable(_ name: String) -> Bool {
        allowedEnvironmentNames.contains(name) || allowedEnvironmentPrefixes.contains { !$0.isEmpty && name.hasPrefix($0) }
    }

    // MARK: Worker paths

    /// Read-only paths for a worker: the executable's real directory (a Blender tarball in /opt, a
    /// venv's python), and for a venv (`<venv>/bin/python` next to `<venv>/pyvenv.cfg`) the venv and
    /// the prefix of the Python it was made from (`home` in pyvenv.cfg). Paths under the system
    /// paths are left out; `/usr/bin/blender` adds nothing (Debian keeps its data in /usr/share).
    public static func workerPaths(executable: String, addonDirectory: String?) -> [String] {
        workerPaths(executable: executable, addonDirectory: addonDirectory,
                    realPath: resolveRealPath, readFile: SandboxHost.readSmallFile)
    }

    static func workerPaths(executable: String, addonDirectory: String?,
                            realPath: (String) -> String?, readFile: (String) -> String?) -> [String] {
        var paths: [String] = []
        func add(_ path: String?) {
            guard let path, path.hasPrefix("/") else { return }
            let normalized = normalize(path)
            guard !isCovered(normalized, by: systemPaths), !isCovered(normalized, by: paths) else { return }
            paths.append(normalized)
        }
        let binDirectory = parent(normalize(executable))
        let venv = parent(binDirectory)
        if let config = readFile(venv + "/pyvenv.cfg") {
            add(venv)
            for line in config.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters() }
                if parts.count == 2, parts[0] == "home" { add(parent(normalize(parts[1]))) }
            }
        }
        if let real = realPath(executable) {
            let directory = parent(real)
            // <prefix>/bin/python3.11 → <prefix> (its lib/python3.11 lives beside bin).
            add(directory.hasSuffix("/bin") ? parent(directory) : directory)
        }
        add(addonDirectory)
        return paths
    }

    @Sendable public static func resolveRealPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: Path helpers

    /// Lexically normalized: no trailing slash, no `.`/`..`/empty components. Symlinks are not resolved.
    static func normalize(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// Whether `path` is `ancestor` or lies below it (both normalized).
    static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        ancestor == "/" || path == ancestor || path.hasPrefix(ancestor + "/")
    }

    static func isCovered(_ path: String, by paths: [String]) -> Bool {
        paths.contains { isWithin(path, normalize($0)) }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}

extension SandboxPolicy {
    /// What a GPU-pinned worker needs in /dev (NVIDIA, DRM render nodes, AMD's KFD). Binding them
    /// widens the kernel surface a script can reach (docs/security.md, "The GPU").
    public static let gpuDevicePaths = [
        "/dev/dri", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset", "/dev/kfd",
    ]

    /// `gpuDevicePaths` plus `/dev/nvidia<index>` for the pinned device.
    public static func gpuDevices(index: Int) -> [String] {
        gpuDevicePaths + ["/dev/nvidia\(index)"]
    }
}
