// uv_signal_t: a POSIX signal delivered as a callback on the loop thread (libuv's self-pipe), so a
// SIGTERM handler may do anything the loop thread may — e.g. start a graceful shutdown.
// Closing the last watcher of a signal restores its default disposition.

internal import CLibUV

public final class SignalWatcher: HandleOwner {
    let storage: HandleStorage
    public let signal: Int32
    private var handler: ((Int32) -> Void)?

    /// Starts watching `signal` at once; `handler` gets the signal number.
    public init(loop: EventLoop, signal: Int32, _ handler: @escaping (Int32) -> Void) throws(UVError) {
        loop.assertOnLoopThread()
        self.signal = signal
        self.handler = handler
        storage = try HandleStorage.initialized(loop: loop, for: uv_signal_t.self, "uv_signal_init") {
            uv_signal_init(loop.uvLoop, $0)
        }
        let uvSignal = storage.pointer(as: uv_signal_t.self)
        storage.adopt(self)
        do throws(UVError) {
            try uvCheck(uv_signal_start(uvSignal, { watcher, signum in
                handleOwner(watcher?.pointee.data, as: SignalWatcher.self).handler?(signum)
            }, signal), "uv_signal_start \(signal)")
        } catch {
            storage.close(nil)
            throw error
        }
    }

    /// Same, for handlers that don't need the signal number.
    public convenience init(loop: EventLoop, signal: Int32, _ handler: @escaping () -> Void) throws(UVError) {
        try self.init(loop: loop, signal: signal) { (_: Int32) in handler() }
    }

    /// Whether this watcher alone keeps `EventLoop.run()` going. A daemon usually sets this to
    /// false so its SIGTERM watcher doesn't hold the loop open after everything else closed.
    public var keepsLoopAlive: Bool {
        get { storage.keepsLoopAlive }
        set { storage.keepsLoopAlive = newValue }
    }

    public var isClosing: Bool { storage.isClosing }

    public func close(_ onClosed: (() -> Void)? = nil) { storage.close(onClosed) }

    func handleDidClose() { handler = nil }
}
