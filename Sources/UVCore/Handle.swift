// The lifecycle every libuv handle shares (uvw's "resource" idea):
//
//   allocate → uv_*_init ok → adopt(owner)      the handle retains its owner via handle.data
//            → uv_*_init failed → discard()     libuv never saw it: free at once
//   close()  → uv_close → close callback        owner released exactly once, memory freed there
//
// So a Timer or Connection stays alive while libuv can still call back into it, even if the
// caller dropped every reference, and the memory is never freed in a deinit (libuv may still be
// holding it). The owner sees `handleDidClose()` just before it is released: that is where user
// closures are dropped, which breaks the cycles they usually form by capturing the owner.

internal import CLibUV

/// A class that owns a libuv handle through a `HandleStorage`.
protocol HandleOwner: AnyObject {
    var storage: HandleStorage { get }
    /// Start closing (idempotent). `EventLoop.closeAllHandles()` calls this.
    func close(_ onClosed: (() -> Void)?)
    /// Called once from the close callback, before the owner is released.
    func handleDidClose()
}

final class HandleStorage {
    enum State { case unopened, open, closing, closed }

    let loop: EventLoop
    private let memory: UnsafeMutableRawPointer
    private(set) var state: State = .unopened
    private var closeCallbacks: [() -> Void] = []

    init<Handle>(loop: EventLoop, for _: Handle.Type) {
        self.loop = loop
        let size = MemoryLayout<Handle>.size
        memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<Handle>.alignment)
        memory.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    }

    func pointer<Handle>(as _: Handle.Type) -> UnsafeMutablePointer<Handle> {
        memory.assumingMemoryBound(to: Handle.self)
    }

    var handle: UnsafeMutablePointer<uv_handle_t> { pointer(as: uv_handle_t.self) }
    var uvLoop: UnsafeMutablePointer<uv_loop_t> { loop.uvLoop }

    /// True once close has started (or the handle never opened): libuv must not be called.
    var isClosing: Bool { state != .open }

    /// Allocates a handle and runs its `uv_*_init`; if that fails, libuv never saw the memory and
    /// it is freed at once. The caller then `adopt`s it. Every handle type starts this way.
    static func initialized<Handle>(
        loop: EventLoop, for type: Handle.Type, _ operation: String,
        _ initialize: (UnsafeMutablePointer<Handle>) -> Int32
    ) throws(UVError) -> HandleStorage {
        let storage = HandleStorage(loop: loop, for: type)
        do throws(UVError) {
            try uvCheck(initialize(storage.pointer(as: type)), operation)
        } catch {
            storage.discard()
            throw error
        }
        return storage
    }

    /// After a successful uv_*_init: the handle keeps `owner` alive until its close callback.
    func adopt(_ owner: HandleOwner) {
        precondition(state == .unopened)
        handle.pointee.data = Unmanaged.passRetained(owner as AnyObject).toOpaque()
        state = .open
    }

    /// After a failed uv_*_init: libuv does not know this memory, so it goes now.
    func discard() {
        precondition(state == .unopened)
        state = .closed
        memory.deallocate()
    }

    /// Throws EINVAL (as libuv does for closing handles) instead of touching a closed handle.
    func requireOpen(_ operation: @autoclosure () -> String) throws(UVError) {
        loop.assertOnLoopThread()
        if state != .open { throw UVError(UV_EINVAL, "\(operation()) on a closed handle") }
    }

    func close(_ onClosed: (() -> Void)?) {
        loop.assertOnLoopThread()
        switch state {
        case .open:
            state = .closing
            if let onClosed { closeCallbacks.append(onClosed) }
            uv_close(handle, handleCloseCallback)
        case .closing:
            if let onClosed { closeCallbacks.append(onClosed) }
        case .unopened, .closed:
            onClosed?()
        }
    }

    fileprivate func finishClose(owner: HandleOwner) {
        state = .closed
        memory.deallocate()
        owner.handleDidClose()
        let callbacks = closeCallbacks
        closeCallbacks = []
        for callback in callbacks { callback() }
    }

    // MARK: Reference counting of the loop (uv_ref / uv_unref)

    /// Whether this handle keeps `EventLoop.run()` from returning (true by default). Set false for
    /// watchers that should not hold the loop open on their own, e.g. a SIGINT watcher.
    var keepsLoopAlive: Bool {
        get { state == .open && uv_has_ref(handle) != 0 }
        set {
            guard state == .open else { return }
            if newValue { uv_ref(handle) } else { uv_unref(handle) }
        }
    }

    var isActive: Bool { state == .open && uv_is_active(handle) != 0 }

    /// The owner stored in a live handle's `data`, without retaining it.
    static func owner(of handle: UnsafeMutablePointer<uv_handle_t>) -> HandleOwner? {
        guard let data = handle.pointee.data else { return nil }
        return Unmanaged<AnyObject>.fromOpaque(data).takeUnretainedValue() as? HandleOwner
    }
}

/// Typed access from a C callback's handle pointer to its owner (unretained: the handle's own
/// retain keeps it alive for the duration of the callback).
@inline(__always)
func handleOwner<Owner: AnyObject>(_ data: UnsafeMutableRawPointer?, as _: Owner.Type) -> Owner {
    Unmanaged<Owner>.fromOpaque(data!).takeUnretainedValue()
}

private func handleCloseCallback(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle, let data = handle.pointee.data else { return }
    handle.pointee.data = nil
    // Balances adopt()'s passRetained; `owner` keeps the object alive until we return.
    let owner = Unmanaged<AnyObject>.fromOpaque(data).takeRetainedValue() as! HandleOwner
    owner.storage.finishClose(owner: owner)
}
