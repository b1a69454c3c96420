// `Options.parentDeathSignal`: have the kernel signal the child when the daemon dies, so no
// Blender outlives it.
//
// Why setpriv: PR_SET_PDEATHSIG must be set *in the child* between fork and exec, and libuv's
// uv_spawn has no pre-exec hook. util-linux's `setpriv --pdeathsig SIG -- program args…` does
// exactly that prctl and then execs the program, keeping the pid, so we prefix the argv with it.
//
// Caveats (kernel semantics, documented for callers):
// - The signal fires when the *thread* that forked the child exits, not only the process: run the
//   loop that spawns on a thread that lives as long as the daemon.
// - setpriv cannot see a parent that died before the prctl ran; the window is a few microseconds.
// - The setting survives exec but is cleared for set-user-ID programs (Blender is not one).

#if canImport(Glibc)
import Glibc
#endif

enum ParentDeathSignal {
    /// setpriv from PATH, else its usual Debian locations (the daemon may run with a bare PATH).
    static let setprivPath: String? = {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        return ExecutableSearch.find("setpriv", searchPath: path + ":/usr/bin:/bin")
    }()

    /// Names `setpriv --pdeathsig` accepts (it takes names, not numbers).
    static func name(of signal: Int32) -> String? {
        let names: [Int32: String] = [
            SIGHUP: "HUP", SIGINT: "INT", SIGQUIT: "QUIT", SIGILL: "ILL", SIGTRAP: "TRAP",
            SIGABRT: "ABRT", SIGBUS: "BUS", SIGFPE: "FPE", SIGKILL: "KILL", SIGUSR1: "USR1",
            SIGSEGV: "SEGV", SIGUSR2: "USR2", SIGPIPE: "PIPE", SIGALRM: "ALRM", SIGTERM: "TERM",
            SIGCHLD: "CHLD", SIGCONT: "CONT", SIGSTOP: "STOP", SIGTSTP: "TSTP", SIGTTIN: "TTIN",
            SIGTTOU: "TTOU", SIGURG: "URG", SIGXCPU: "XCPU", SIGXFSZ: "XFSZ", SIGVTALRM: "VTALRM",
            SIGPROF: "PROF", SIGWINCH: "WINCH", SIGIO: "IO", SIGPWR: "PWR", SIGSYS: "SYS",
        ]
        return names[signal]
    }

    /// The argv prefix for `signal`, or the domain error saying why it can't be done.
    static func argvPrefix(for signal: Int32, executable: String) throws(SpawnError) -> [String] {
        guard let setpriv = setprivPath else {
            throw SpawnError(
                code: .parentDeathSignalUnavailable, executable: executable,
                message: "parentDeathSignal needs setpriv (util-linux), which is not on PATH, "
                    + "/usr/bin or /bin — install util-linux or spawn with parentDeathSignal: nil")
        }
        guard let name = name(of: signal) else {
            throw SpawnError(
                code: .unsupportedSignal, executable: executable,
                message: "parentDeathSignal \(signal) is not a signal setpriv can name — use SIGKILL or SIGTERM")
        }
        return [setpriv, "--pdeathsig", name, "--"]
    }
}

/// execvp's search, done before spawning when we put a wrapper in front of the program: the
/// wrapper would otherwise start fine and fail later with exit code 127, and a missing executable
/// must be a thrown ENOENT.
enum ExecutableSearch {
    /// glibc's execvp default when PATH is unset.
    static let defaultSearchPath = "/bin:/usr/bin"

    static func find(_ name: String, searchPath: String?) -> String? {
        if name.contains("/") { return isExecutableFile(name) ? name : nil }
        for directory in (searchPath ?? defaultSearchPath).split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (directory.isEmpty ? "." : String(directory)) + "/" + name
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        return access(path, X_OK) == 0
    }
}
