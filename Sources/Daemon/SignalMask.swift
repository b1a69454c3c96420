#if canImport(Glibc)
import Glibc
#endif

/// A daemon inherits its parent's blocked-signal mask (test runners, some supervisors and
/// `Foundation.Process` children start with most signals blocked). Blocked SIGTERM/SIGINT never
/// reach libuv's handler, so the daemon would ignore `kill`; blocked SIGCHLD means libuv never
/// reaps its children, so process exits (Blender crashes included) go unnoticed. The loop thread
/// therefore clears its mask before it spawns or watches anything.
enum SignalMask {
    /// Signals that end the daemon gracefully.
    static let shutdown: [Int32] = [SIGINT, SIGTERM]

    static func clearOnThisThread() throws(SystemCallError) {
        var empty = sigset_t()
        sigemptyset(&empty)
        let rc = pthread_sigmask(SIG_SETMASK, &empty, nil)
        // pthread_sigmask returns the error number instead of setting errno.
        if rc != 0 { throw SystemCallError(errno: rc, operation: "pthread_sigmask(SIG_SETMASK, {})") }
    }
}
