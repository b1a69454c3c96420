#if canImport(Glibc)
import Glibc
#endif

/// A daemon inherits its parent's blocked-signal mask (test runners, some supervisors and
/// `Foundation.Process` children start with most signals blocked). A blocked SIGTERM never
/// reaches libuv's handler, so the daemon would ignore `kill` and never shut down. The loop
/// thread therefore unblocks the signals it handles before installing its watchers.
enum SignalMask {
    static let handled: [Int32] = [SIGINT, SIGTERM]

    static func unblockHandledSignals() throws(SystemCallError) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        let rc = pthread_sigmask(SIG_UNBLOCK, &set, nil)
        // pthread_sigmask returns the error number instead of setting errno.
        if rc != 0 { throw SystemCallError(errno: rc, operation: "pthread_sigmask(SIG_UNBLOCK)") }
    }
}
