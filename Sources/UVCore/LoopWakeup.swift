// uv_async_t: the one way into the loop from another thread. `send()` is the only thread-safe call
// in UVCore; the handler runs later on the loop thread. libuv coalesces sends, so several sends
// before the loop wakes produce one handler call — carry the work in your own queue.
//
// Why the mutex: the handle memory is freed by the close callback on the loop thread, while
// another thread may be inside send(). The flag, set under the lock before uv_close, turns a
// late send() into a no-op instead of a use-after-free.

internal import CLibUV
import Synchronization

public final class LoopWakeup: HandleOwner, @unchecked Sendable {
    let storage: HandleStorage
    private let closed = Mutex(false)
    private var handler: (() -> Void)?

    public init(loop: EventLoop, _ handler: @escaping () -> Void) throws(UVError) {
        loop.assertOnLoopThread()
        self.handler = handler
        storage = try HandleStorage.initialized(loop: loop, for: uv_async_t.self, "uv_async_init") {
            uv_async_init(loop.uvLoop, $0) { async in
                handleOwner(async?.pointee.data, as: LoopWakeup.self).handler?()
            }
        }
        storage.adopt(self)
    }

    /// Wakes the loop; callable from any thread. A no-op once `close` has been called.
    public func send() {
        closed.withLock { isClosed in
            guard !isClosed else { return }
            do throws(UVError) {
                try uvCheck(uv_async_send(storage.pointer(as: uv_async_t.self)), "uv_async_send")
            } catch {
                // uv_async_send only fails for a handle of the wrong type.
                assertionFailure("\(error)")
            }
        }
    }

    /// Whether this handle alone keeps `EventLoop.run()` going.
    public var keepsLoopAlive: Bool {
        get { storage.keepsLoopAlive }
        set { storage.keepsLoopAlive = newValue }
    }

    public var isClosing: Bool { storage.isClosing }

    /// Loop thread only.
    public func close(_ onClosed: (() -> Void)? = nil) {
        closed.withLock { $0 = true }
        storage.close(onClosed)
    }

    func handleDidClose() { handler = nil }
}
