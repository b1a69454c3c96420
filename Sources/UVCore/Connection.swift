// A connected byte stream over a uv_pipe_t: a client of the daemon socket, a socketpair end
// (a worker's control channel), or a child's stdout/stderr.
//
// Reading: every read lands in the loop's one 64 KiB buffer (see EventLoop.readBuffer), so
// `.data` is only valid inside the callback — copy what you keep.
//
// Writing: `write` first tries uv_try_write when nothing is queued (the common small-reply case
// costs no allocation and no callback); whatever the kernel did not take is copied into one
// WriteRequest and handed to uv_write, which keeps order behind earlier requests. `queuedBytes`
// counts those bytes until their callbacks, which is what backpressure policy looks at; the drain
// handler fires when it falls back to the low-water mark after having been above it.

internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

public enum ReadEvent {
    /// Bytes read; valid only during the callback.
    case data(UnsafeRawBufferPointer)
    /// The peer closed its end. Reading has stopped.
    case eof
    /// Reading failed (e.g. ECONNRESET). Reading has stopped; close the connection.
    case error(UVError)
}

public final class Connection: HandleOwner {
    let storage: HandleStorage

    private var onRead: ((ReadEvent) -> Void)?
    public private(set) var isReading = false

    /// Bytes accepted by `write` and not yet handed to the kernel.
    public private(set) var queuedBytes = 0

    /// Called once, for the first write that fails after being queued (e.g. EPIPE when the peer
    /// went away). Writes cancelled by our own `close` are not reported. Synchronous failures are
    /// thrown by `write` instead. Close the connection here: libuv leaves the writes queued behind
    /// a failed one until the handle closes, so `queuedBytes` (and the drain handler) stop moving.
    public var onWriteError: ((UVError) -> Void)?
    private var reportedWriteError = false

    private var drainLowWater = 0
    private var drainHandler: (() -> Void)?
    private var drainArmed = false
    private var closingAfterFlush = false
    private var pendingCloseCallbacks: [() -> Void] = []

    private var connectCompletion: ((Result<Connection, UVError>) -> Void)?
    private var connectPath = ""

    /// Process hooks this to learn that a child's output pipe is finished (EOF, error or close).
    var onInputEnded: (() -> Void)?

    var stream: UnsafeMutablePointer<uv_stream_t> { storage.pointer(as: uv_stream_t.self) }
    var pipe: UnsafeMutablePointer<uv_pipe_t> { storage.pointer(as: uv_pipe_t.self) }

    /// An initialized, unconnected pipe handle (for accept, connect, open and spawn's pipes).
    init(loop: EventLoop) throws(UVError) {
        loop.assertOnLoopThread()
        storage = try HandleStorage.initialized(loop: loop, for: uv_pipe_t.self, "uv_pipe_init") {
            uv_pipe_init(loop.uvLoop, $0, 0)
        }
        storage.adopt(self)
    }

    // MARK: Opening

    /// Connects to the Unix socket at `path`. `completion` runs once, on a later loop iteration:
    /// ENOENT when nothing is there, ECONNREFUSED when nobody listens, ENAMETOOLONG (with the
    /// remedy in `operation`) for a path longer than `SocketPathError.maximumPathBytes`.
    public static func connect(loop: EventLoop, path: String, _ completion: @escaping (Result<Connection, UVError>) -> Void) {
        loop.assertOnLoopThread()
        if let problem = SocketPathError.check(path) {
            let code = problem.code == .tooLong ? UV_ENAMETOOLONG : UV_EINVAL
            deliverLater(on: loop, .failure(UVError(code, "connect \(path): \(problem.message)")), completion)
            return
        }
        let connection: Connection
        do {
            connection = try Connection(loop: loop)
        } catch {
            deliverLater(on: loop, .failure(error), completion)
            return
        }
        connection.connectCompletion = completion
        connection.connectPath = path
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.initialize(to: uv_connect_t())
        // uv_pipe_connect reports every failure through the callback, never synchronously.
        uv_pipe_connect(request, connection.pipe, path) { request, status in
            let connection = handleOwner(request!.pointee.handle.pointee.data, as: Connection.self)
            request!.deallocate()
            connection.didConnect(status: status)
        }
    }

    private func didConnect(status: Int32) {
        let completion = connectCompletion
        connectCompletion = nil
        do throws(UVError) {
            try uvCheck(status, "connect \(connectPath)")
            completion?(.success(self))
        } catch {
            close(nil)
            completion?(.failure(error))
        }
    }

    /// Keeps "completion never runs synchronously" true for failures found before libuv is asked.
    private static func deliverLater(
        on loop: EventLoop, _ result: Result<Connection, UVError>,
        _ completion: @escaping (Result<Connection, UVError>) -> Void
    ) {
        guard let timer = try? Timer(loop: loop) else { return completion(result) }
        do {
            try timer.start(after: 0) {
                timer.close()
                completion(result)
            }
        } catch {
            timer.close()
            completion(result)
        }
    }

    /// Wraps an open stream socket or pipe descriptor (e.g. one end of a socketpair). On success
    /// the Connection owns `fd` and closes it; on failure the caller still does.
    public static func open(loop: EventLoop, fd: Int32) throws(UVError) -> Connection {
        let connection = try Connection(loop: loop)
        do throws(UVError) {
            // uv_pipe_open also puts the descriptor in non-blocking mode.
            try uvCheck(uv_pipe_open(connection.pipe, fd), "uv_pipe_open fd \(fd)")
        } catch {
            connection.close(nil)
            throw error
        }
        return connection
    }

    // MARK: Reading

    /// Starts (or keeps) reading; a second call just replaces the callback.
    public func startReading(_ onRead: @escaping (ReadEvent) -> Void) throws(UVError) {
        try storage.requireOpen("uv_read_start")
        self.onRead = onRead
        guard !isReading else { return }
        try uvCheck(uv_read_start(stream, { handle, _, buffer in
            let loop = EventLoop.from(handle!.pointee.loop)
            buffer!.pointee = uv_buf_t(
                base: loop.readBuffer.assumingMemoryBound(to: CChar.self), len: EventLoop.readBufferSize)
        }, { stream, nread, buffer in
            handleOwner(stream?.pointee.data, as: Connection.self)
                .didRead(nread, UnsafeRawPointer(buffer?.pointee.base))
        }), "uv_read_start")
        isReading = true
    }

    /// Stops reading; the kernel buffers (and eventually pushes back on the peer) meanwhile.
    public func stopReading() {
        guard isReading, !storage.isClosing else { return }
        storage.loop.assertOnLoopThread()
        uv_read_stop(stream)  // always returns 0
        isReading = false
    }

    private func didRead(_ nread: Int, _ base: UnsafeRawPointer?) {
        if nread > 0 {
            onRead?(.data(UnsafeRawBufferPointer(start: base, count: nread)))
            return
        }
        do throws(UVError) {
            try uvCheck(Int32(truncatingIfNeeded: nread), "read")
            // nread == 0: EAGAIN, nothing to report.
        } catch {
            // libuv has already stopped reading on EOF and on errors.
            isReading = false
            onRead?(error == .eof ? .eof : .error(error))
            inputEnded()
        }
    }

    private func inputEnded() {
        guard let hook = onInputEnded else { return }
        onInputEnded = nil
        hook()
    }

    // MARK: Writing

    /// Queues `bytes` for writing, in order after earlier writes. Throws for a closed connection
    /// (EPIPE) or when the kernel refuses the write outright.
    public func write(_ bytes: [UInt8]) throws(UVError) {
        let failure: UVError? = bytes.withUnsafeBytes { raw in
            withUnsafePointer(to: raw) { enqueue(UnsafeBufferPointer(start: $0, count: 1)) }
        }
        if let failure { throw failure }
    }

    /// Same, for bytes you hold as a buffer (e.g. forwarding a `.data` read without an array).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(UVError) {
        let failure = withUnsafePointer(to: bytes) { enqueue(UnsafeBufferPointer(start: $0, count: 1)) }
        if let failure { throw failure }
    }

    /// Writes several parts as one (writev): e.g. a frame header and its body without joining
    /// them first.
    public func write(_ parts: [[UInt8]]) throws(UVError) {
        var collected: [UnsafeRawBufferPointer] = []
        collected.reserveCapacity(parts.count)
        let failure = Self.withRawParts(parts, 0, &collected) { enqueue($0) }
        if let failure { throw failure }
    }

    private static func withRawParts<R>(
        _ parts: [[UInt8]], _ index: Int, _ collected: inout [UnsafeRawBufferPointer],
        _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> R
    ) -> R {
        if index == parts.count { return collected.withUnsafeBufferPointer(body) }
        return parts[index].withUnsafeBytes { raw in
            collected.append(raw)
            return withRawParts(parts, index + 1, &collected, body)
        }
    }

    private func enqueue(_ parts: UnsafeBufferPointer<UnsafeRawBufferPointer>) -> UVError? {
        guard !storage.isClosing, !closingAfterFlush else {
            return UVError(UV_EPIPE, "write on a closed connection")
        }
        storage.loop.assertOnLoopThread()
        let total = parts.reduce(0) { $0 + $1.count }
        guard total > 0 else { return nil }

        var written = 0
        if queuedBytes == 0 {
            let rc = withUnsafeTemporaryAllocation(of: uv_buf_t.self, capacity: parts.count) { buffers in
                for (index, part) in parts.enumerated() {
                    buffers.initializeElement(at: index, to: uv_buf_t(
                        base: UnsafeMutablePointer(mutating: part.baseAddress?.assumingMemoryBound(to: CChar.self)),
                        len: part.count))
                }
                return uv_try_write(stream, buffers.baseAddress, UInt32(parts.count))
            }
            if rc != UV_EAGAIN.rawValue {
                do throws(UVError) { written = Int(try uvCheck(rc, "write")) } catch { return error }
            }
        }
        if written == total { return nil }

        let request = WriteRequest.make(copying: parts, skipping: written, byteCount: total - written)
        var buffer = request.buffer
        do throws(UVError) {
            try uvCheck(uv_write(request.request, stream, &buffer, 1) { request, status in
                let write = WriteRequest(raw: UnsafeMutableRawPointer(request!))
                let count = write.byteCount
                let connection = handleOwner(request!.pointee.handle.pointee.data, as: Connection.self)
                write.free()
                connection.didWrite(count, status: status)
            }, "write")
        } catch {
            // A failed uv_write never calls its callback: the request is ours to free now.
            request.free()
            return error
        }
        queuedBytes += total - written
        if drainHandler != nil, queuedBytes > drainLowWater { drainArmed = true }
        return nil
    }

    private func didWrite(_ count: Int, status: Int32) {
        queuedBytes -= count
        do throws(UVError) {
            try uvCheck(status, "write")
        } catch {
            // ECANCELED while closing is our own doing, not news for the caller.
            if !storage.isClosing, !reportedWriteError {
                reportedWriteError = true
                onWriteError?(error)
            }
            if closingAfterFlush { finishDeferredClose() }
            return
        }
        if closingAfterFlush {
            if queuedBytes == 0 { finishDeferredClose() }
            return
        }
        if drainArmed, queuedBytes <= drainLowWater, !storage.isClosing {
            drainArmed = false
            drainHandler?()
        }
    }

    /// Calls `handler` when `queuedBytes` falls to `lowWater` or below after having been above
    /// it — the moment to resume a producer paused for backpressure. nil removes it.
    public func setDrainHandler(lowWater: Int, _ handler: (() -> Void)?) {
        drainLowWater = lowWater
        drainHandler = handler
        drainArmed = handler != nil && queuedBytes > lowWater
    }

    // MARK: Peer

    /// The peer's pid/uid/gid from the kernel (SO_PEERCRED).
    public func peerCredentials() throws(UVError) -> PeerCredentials {
        try storage.requireOpen("getsockopt(SO_PEERCRED)")
        var fd: uv_os_fd_t = -1
        try uvCheck(uv_fileno(storage.handle, &fd), "uv_fileno")
        var credentials = blenderd_ucred()
        var length = socklen_t(MemoryLayout<blenderd_ucred>.size)
        try uvCheck(
            uvResult(posixReturn: getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length)),
            "getsockopt(SO_PEERCRED)")
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }

    // MARK: Closing

    public var isClosing: Bool { storage.isClosing || closingAfterFlush }

    /// Closes now: queued writes are cancelled (not reported), reading stops. Idempotent;
    /// `onClosed` runs once the handle is gone (at once if it already is).
    public func close(_ onClosed: (() -> Void)? = nil) {
        let wasOpen = !storage.isClosing
        closingAfterFlush = false
        if !pendingCloseCallbacks.isEmpty {
            for callback in pendingCloseCallbacks { storage.close(callback) }
            pendingCloseCallbacks = []
        }
        storage.close(onClosed)
        if wasOpen {
            isReading = false
            inputEnded()
        }
    }

    /// Closes after the queued bytes have been written (or a write failed): e.g. send an error
    /// reply, then hang up. Further writes throw EPIPE; reading stops now.
    public func closeWhenFlushed(_ onClosed: (() -> Void)? = nil) {
        guard !storage.isClosing else { return storage.close(onClosed) }
        guard queuedBytes > 0 else { return close(onClosed) }
        stopReading()
        closingAfterFlush = true
        if let onClosed { pendingCloseCallbacks.append(onClosed) }
    }

    private func finishDeferredClose() {
        closingAfterFlush = false
        close(nil)
    }

    /// Whether this connection alone keeps `EventLoop.run()` going.
    public var keepsLoopAlive: Bool {
        get { storage.keepsLoopAlive }
        set { storage.keepsLoopAlive = newValue }
    }

    func handleDidClose() {
        onRead = nil
        onWriteError = nil
        drainHandler = nil
        connectCompletion = nil
        onInputEnded = nil
        pendingCloseCallbacks = []
    }
}
