// How the pool starts a headless Blender worker (protocol/worker.md, "Kinds of worker"):
//
//   executable  <blender> -b --factory-startup -noaudio -Y --python-exit-code 1
//                 --python <addon>/blenderd/worker_main.py -- --fd 3
//   module      <python> -m blenderd.worker --fd 3        (PYTHONPATH=<addon>, bpy importable)
//   custom      any program that speaks the worker protocol on fd 3 (tests' fake worker)
//
// The child's environment is built, not inherited: PATH, HOME and TMPDIR from the daemon, a UTF-8
// C locale, no user site-packages, PYTHONPATH for the module, and the GPU pinning variables.
// Nothing else of the daemon's environment (tokens, proxies, a developer's PYTHONPATH) reaches a
// sandboxed script.

#if canImport(Glibc)
import Glibc
#endif

public enum LauncherKind: String, Codable, Sendable, CaseIterable {
    case executable, module, gui
}

public struct Launcher: Sendable, Equatable, CustomStringConvertible {
    /// How the worker reports itself; `gui` is never launched (GUI workers attach).
    public var kind: LauncherKind
    /// The Blender executable, the Python that imports bpy, or a custom program.
    public var path: String
    /// The directory that contains the `blenderd` package (the repository's `addon/`).
    public var addonDirectory: String
    /// Variables taken over from the daemon (PATH, HOME, TMPDIR), captured when the launcher is
    /// made so `spec` stays a pure function.
    public var inheritedEnvironment: [String: String]
    /// Extra variables for every worker of this launcher (custom launchers' settings).
    public var extraEnvironment: [String: String]
    /// A custom launcher's argv[1...]; unused for the others.
    public var customArguments: [String]?
    /// The Blender version when known without probing (custom launchers); otherwise `InstancePool`
    /// probes it at start.
    public var knownVersion: BlenderVersion?

    public init(kind: LauncherKind, path: String, addonDirectory: String,
                inheritedEnvironment: [String: String] = Launcher.daemonEnvironment(),
                extraEnvironment: [String: String] = [:], customArguments: [String]? = nil,
                knownVersion: BlenderVersion? = nil) {
        self.kind = kind
        self.path = path
        self.addonDirectory = addonDirectory
        self.inheritedEnvironment = inheritedEnvironment
        self.extraEnvironment = extraEnvironment
        self.customArguments = customArguments
        self.knownVersion = knownVersion
    }

    /// The Blender executable launcher.
    public static func executable(blender: String, addonDirectory: String,
                                  inheritedEnvironment: [String: String] = Launcher.daemonEnvironment()) -> Launcher {
        Launcher(kind: .executable, path: blender, addonDirectory: addonDirectory, inheritedEnvironment: inheritedEnvironment)
    }

    /// The `bpy` module launcher: `python` must be able to `import bpy`.
    public static func module(python: String, addonDirectory: String,
                              inheritedEnvironment: [String: String] = Launcher.daemonEnvironment()) -> Launcher {
        Launcher(kind: .module, path: python, addonDirectory: addonDirectory, inheritedEnvironment: inheritedEnvironment)
    }

    /// Any program speaking the worker protocol on fd 3 (tests use Tests/Fixtures/fake_worker.py).
    /// `environment` is added to the scrubbed base; `version` is what its workers will report.
    public static func custom(executable: String, arguments: [String], environment: [String: String] = [:],
                              kind: LauncherKind = .module, version: BlenderVersion,
                              addonDirectory: String = "") -> Launcher {
        Launcher(kind: kind, path: executable, addonDirectory: addonDirectory, extraEnvironment: environment,
                 customArguments: arguments, knownVersion: version)
    }

    public var isCustom: Bool { customArguments != nil }

    public var description: String { isCustom ? "custom \(path)" : "\(kind.rawValue) \(path)" }

    // MARK: Specs

    /// The worker's command line and environment, pinned to `gpu` when given.
    public func spec(gpu: GPUDevice?) -> LaunchSpec {
        var environment = baseEnvironment()
        if let gpu { environment.merge(gpu.environment) { _, pinned in pinned } }
        if let customArguments {
            return LaunchSpec(executable: path, arguments: customArguments, environment: environment)
        }
        switch kind {
        case .executable:
            return LaunchSpec(executable: path, arguments: [
                "-b", "--factory-startup", "-noaudio", "-Y", "--python-exit-code", "1",
                "--python", joinPath(addonDirectory, "blenderd/worker_main.py"), "--", "--fd", "3",
            ], environment: environment)
        case .module, .gui:
            return LaunchSpec(executable: path, arguments: ["-m", "blenderd.worker", "--fd", "3"], environment: environment)
        }
    }

    /// The command that prints this launcher's Blender version; nil when it is known already.
    public var probeSpec: LaunchSpec? {
        guard knownVersion == nil, !isCustom else { return nil }
        switch kind {
        case .executable:
            return LaunchSpec(executable: path, arguments: ["--version"], environment: baseEnvironment())
        case .module, .gui:
            return LaunchSpec(executable: path, arguments: ["-c", "import bpy; print(bpy.app.version_string)"],
                              environment: baseEnvironment())
        }
    }

    func baseEnvironment() -> [String: String] {
        var environment: [String: String] = [
            "PATH": inheritedEnvironment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            // A user's ~/.local site-packages must not shadow what the worker imports.
            "PYTHONNOUSERSITE": "1",
        ]
        for name in Self.inheritedNames {
            if let value = inheritedEnvironment[name] { environment[name] = value }
        }
        if kind == .module, !isCustom {
            environment["PYTHONPATH"] = addonDirectory
        }
        environment.merge(extraEnvironment) { _, extra in extra }
        return environment
    }

    /// Taken from the daemon: where programs are, where Blender keeps its user config (HOME,
    /// which --factory-startup does not read but Blender still resolves), and the temp directory.
    static let inheritedNames = ["PATH", "HOME", "TMPDIR"]

    /// The daemon's values of `inheritedNames`.
    public static func daemonEnvironment() -> [String: String] {
        var values: [String: String] = [:]
        for name in inheritedNames {
            if let value = getenv(name) { values[name] = String(cString: value) }
        }
        return values
    }

    // MARK: Detection

    /// The launchers the daemon can offer: `blender` (searched on PATH when nil) and `bpyPython`
    /// when given. Paths that are not executable files are left out; whether they really run
    /// Blender is the pool's probe to find out (and log).
    public static func detect(blender: String?, bpyPython: String?, addonDirectory: String,
                              searchPath: String? = nil) -> [Launcher] {
        let path = searchPath ?? getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin"
        var launchers: [Launcher] = []
        if let found = findExecutable(blender ?? "blender", searchPath: path) {
            launchers.append(.executable(blender: found, addonDirectory: addonDirectory))
        }
        if let bpyPython, let found = findExecutable(bpyPython, searchPath: path) {
            launchers.append(.module(python: found, addonDirectory: addonDirectory))
        }
        return launchers
    }

    /// execvp's search: a name with a slash is taken as a path, others are looked up in `searchPath`.
    public static func findExecutable(_ name: String, searchPath: String) -> String? {
        guard !name.isEmpty else { return nil }
        if name.contains("/") { return isExecutableFile(name) ? absolute(name) : nil }
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// `path` against the working directory, not resolving symlinks (a venv's python must stay
    /// inside its venv for the sandbox to find pyvenv.cfg): bwrap runs only absolute executables.
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/"), let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        let base = String(cString: cwd)
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return base.hasSuffix("/") ? base + relative : base + "/" + relative
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }

    private func joinPath(_ directory: String, _ relative: String) -> String {
        directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
    }
}
