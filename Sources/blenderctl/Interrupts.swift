#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) and SIGTERM while a command talks to the daemon. The first one is not fatal:
/// the client cancels the call that is running (`request.cancel`; the daemon interrupts Blender
/// and puts the session back at its checkpoint) and the command ends through its usual path,
/// which closes the session it opened. Dying at once instead would leave that session leased,
/// with Blender still working, until its idle timeout. A second signal quits at once.
enum Interrupts {
    /// Signals received, and how many of them `take()` has handed out. Written by the handler,
    /// read on the main thread: plain word-sized stores, as `sig_atomic_t` is in C.
    nonisolated(unsafe) private static var received: Int32 = 0
    nonisolated(unsafe) private static var taken: Int32 = 0
    nonisolated(unsafe) private static var installed = false

    /// Installs the handler (once) without SA_RESTART, so a blocking poll or read returns EINTR
    /// and the client asks `take()`.
    static func install() {
        guard !installed else { return }
        installed = true
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            if Interrupts.received > 0 { _exit(128 + signal) }
            Interrupts.received += 1
            // A StaticString: no allocation, nothing but write(2) in a signal handler.
            let message: StaticString = "\nblenderctl: stopping (cancelling the running call); press Ctrl-C again to quit at once\n"
            _ = write(STDERR_FILENO, message.utf8Start, message.utf8CodeUnitCount)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGINT, &action, nil)
        sigaction(SIGTERM, &action, nil)
        // A parent may have started us with these blocked (a test runner's thread, a supervisor):
        // the mask is inherited across exec, and a blocked SIGINT would just stay pending.
        var wanted = sigset_t()
        sigemptyset(&wanted)
        sigaddset(&wanted, SIGINT)
        sigaddset(&wanted, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &wanted, nil)
    }

    /// True once per signal received: the client's `interruption`.
    static func take() -> Bool {
        guard received > taken else { return false }
        taken = received
        return true
    }
}
