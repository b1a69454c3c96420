// uv_timer_t: one-shot or repeating callbacks on the loop thread, in milliseconds of loop time.

internal import CLibUV

public final class Timer: HandleOwner {
    let storage: HandleStorage
    private var handler: (() -> Void)?

    private var uvTimer: UnsafeMutablePointer<uv_timer_t> { storage.pointer(as: uv_timer_t.self) }

    public init(loop: EventLoop) throws(UVError) {
        loop.assertOnLoopThread()
        storage = try HandleStorage.initialized(loop: loop, for: uv_timer_t.self, "uv_timer_init") {
            uv_timer_init(loop.uvLoop, $0)
        }
        storage.adopt(self)
    }

    /// Calls `handler` after `milliseconds`, then every `interval` ms if it is non-zero.
    /// Starting a started timer restarts it with the new handler.
    public func start(after milliseconds: Int, repeat interval: Int = 0, _ handler: @escaping () -> Void) throws(UVError) {
        precondition(milliseconds >= 0 && interval >= 0, "timer durations are non-negative")
        try storage.requireOpen("uv_timer_start")
        self.handler = handler
        try uvCheck(
            uv_timer_start(uvTimer, { timer in
                handleOwner(timer?.pointee.data, as: Timer.self).handler?()
            }, UInt64(milliseconds), UInt64(interval)),
            "uv_timer_start")
    }

    /// Stops the timer; it can be started again.
    public func stop() {
        guard !storage.isClosing else { return }
        storage.loop.assertOnLoopThread()
        uv_timer_stop(uvTimer)  // always returns 0
    }

    /// True while the timer is started.
    public var isActive: Bool { storage.isActive }

    /// Whether this timer alone keeps `EventLoop.run()` going (uv_ref/uv_unref).
    public var keepsLoopAlive: Bool {
        get { storage.keepsLoopAlive }
        set { storage.keepsLoopAlive = newValue }
    }

    public var isClosing: Bool { storage.isClosing }

    /// Idempotent; `onClosed` runs once the handle is gone (at once if it already is).
    public func close(_ onClosed: (() -> Void)? = nil) { storage.close(onClosed) }

    func handleDidClose() { handler = nil }
}
