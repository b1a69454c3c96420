// One libuv loop. Everything in UVCore belongs to exactly one EventLoop and must be used on the
// thread that runs it (recorded at init and whenever a `run*` call enters the loop; debug builds
// assert it). The loop memory is ours — heap-allocated, freed by a successful `close()` — so the
// handles can hold a stable pointer to it.

internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

public final class EventLoop {
    let uvLoop: UnsafeMutablePointer<uv_loop_t>
    private var isClosed = false
    private var loopThread: pthread_t
    private var isRunning = false

    /// Size of the one read buffer every Connection of this loop reads into. libuv on Unix calls
    /// alloc → read → read callback back to back on the loop thread, so a loop-wide buffer is safe
    /// and no read allocates. 64 KiB matches libuv's own suggested size.
    static let readBufferSize = 64 * 1024
    private var readBufferStorage: UnsafeMutableRawPointer?

    public init() throws(UVError) {
        _ = Self.ignoreBrokenPipeSignal
        let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
        do throws(UVError) {
            try uvCheck(uv_loop_init(loop), "uv_loop_init")
        } catch {
            loop.deallocate()
            throw error
        }
        uvLoop = loop
        loopThread = pthread_self()
        loop.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    /// A write to a peer that has gone away must come back as EPIPE, not kill the daemon: libuv
    /// writes with plain write(2), so SIGPIPE has to be ignored process-wide (as libuv's own test
    /// runner and Node do). Children are unaffected: uv_spawn resets dispositions before exec.
    private static let ignoreBrokenPipeSignal: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    deinit {
        // Every handle retains its loop until its close callback, so no handle of ours is left
        // here. If uv_loop_close still says busy, leaking the memory beats freeing it under libuv.
        guard !isClosed else { return }
        if (try? uvCheck(uv_loop_close(uvLoop), "uv_loop_close")) != nil {
            uvLoop.deallocate()
        }
        readBufferStorage?.deallocate()
    }

    // MARK: Running

    /// Runs until there are no active, referenced handles or `stop()` is called.
    public func run() {
        enter()
        defer { isRunning = false }
        uv_run(uvLoop, UV_RUN_DEFAULT)
    }

    /// Polls once, blocking until something happens. Returns true if the loop still has work.
    @discardableResult
    public func runOnce() -> Bool {
        enter()
        defer { isRunning = false }
        return uv_run(uvLoop, UV_RUN_ONCE) != 0
    }

    /// Polls once without blocking. Returns true if the loop still has work.
    @discardableResult
    public func runNoWait() -> Bool {
        enter()
        defer { isRunning = false }
        return uv_run(uvLoop, UV_RUN_NOWAIT) != 0
    }

    /// Makes `run()` return after the current iteration. Loop thread only.
    public func stop() {
        assertOnLoopThread()
        uv_stop(uvLoop)
    }

    private func enter() {
        precondition(!isClosed, "EventLoop used after close()")
        precondition(!isRunning, "EventLoop.run* is not reentrant")
        isRunning = true
        loopThread = pthread_self()
    }

    // MARK: Closing

    /// Releases the loop. Throws `UVError.busy` while handles remain (close them and run the loop
    /// until their close callbacks have fired first — `closeAllHandles()` then `run()`).
    public func close() throws(UVError) {
        assertOnLoopThread()
        guard !isClosed else { return }
        try uvCheck(uv_loop_close(uvLoop), "uv_loop_close")
        isClosed = true
        uvLoop.deallocate()
        readBufferStorage?.deallocate()
        readBufferStorage = nil
    }

    /// Starts closing every handle that is not already closing (shutdown, tests). Their close
    /// callbacks run on the next loop iterations, so follow with `run()`. A process closed this way
    /// never reports its exit.
    public func closeAllHandles() {
        assertOnLoopThread()
        uv_walk(uvLoop, { handle, _ in
            guard let handle, uv_is_closing(handle) == 0 else { return }
            if let owner = HandleStorage.owner(of: handle) {
                owner.close(nil)
            } else {
                // Not one of ours (nothing else should create handles on this loop).
                uv_close(handle, nil)
            }
        }, nil)
    }

    // MARK: Time

    /// The loop's cached "now" in milliseconds (uv_now), updated at the start of each iteration.
    public var nowMilliseconds: UInt64 { uv_now(uvLoop) }

    /// Refreshes the cached "now" (uv_update_time).
    public func updateTime() { uv_update_time(uvLoop) }

    /// A monotonic clock in nanoseconds (uv_hrtime), for measuring durations.
    public static func hrtimeNanoseconds() -> UInt64 { uv_hrtime() }

    // MARK: Internal

    var isOnLoopThread: Bool { pthread_equal(loopThread, pthread_self()) != 0 }

    /// Cheap confinement check: compiled out of release builds.
    @inline(__always)
    func assertOnLoopThread(_ function: StaticString = #function) {
        assert(isOnLoopThread, "\(function) called off the loop thread")
    }

    var readBuffer: UnsafeMutableRawPointer {
        if let buffer = readBufferStorage { return buffer }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Self.readBufferSize, alignment: 16)
        readBufferStorage = buffer
        return buffer
    }

    static func from(_ loop: UnsafeMutablePointer<uv_loop_t>) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(loop.pointee.data!).takeUnretainedValue()
    }
}
