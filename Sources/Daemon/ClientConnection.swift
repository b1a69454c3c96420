import InstancePool
import JSONRPC
import Logging
import UVCore

/// One client on the daemon socket: frames its bytes, dispatches its messages, and applies
/// backpressure to its replies. Lives on the loop thread; owned by `Server` until closed.
public final class ClientConnection {
    public let id: Int
    public let peer: PeerCredentials?
    /// Ids of this connection's requests whose handlers have not replied yet.
    var inFlightIDs = RequestIDSet()
    /// Set once a GUI Blender on this connection called `worker.attach`: its responses to our
    /// requests go to this instance.
    var attachedInstance: Instance?

    private let stream: Connection
    private let loop: EventLoop
    private var parser: FrameParser
    private let configuration: DaemonConfiguration
    private let dispatcher: Dispatcher<ClientConnection>
    private let logger: Logger
    private let onClosed: (ClientConnection) -> Void
    private var watchdog: Timer?
    private(set) var state: State = .reading
    /// True while the dispatcher runs the handlers of a batch this connection sent: a handler
    /// that would follow its response with an attachment frame delivers inline instead, since
    /// a batch's responses go out together (protocol/README.md, Attachments).
    private(set) var dispatchingBatch = false
    /// Producers paused while the client was over its limit (render streams), run when it drains.
    private var resumeWaiters: [() -> Void] = []

    enum State: Equatable {
        case reading
        /// Not reading requests because more than `maxQueueBytes` of replies are queued.
        case paused(since: UInt64, lastQueued: Int, lastProgress: UInt64)
        /// Not reading; closes as soon as the queue is flushed (fatal framing error, shutdown).
        case closingAfterFlush
        case closed
    }

    init(
        id: Int, loop: EventLoop, stream: Connection, peer: PeerCredentials?, configuration: DaemonConfiguration,
        dispatcher: Dispatcher<ClientConnection>, logger: Logger, onClosed: @escaping (ClientConnection) -> Void
    ) {
        self.id = id
        self.stream = stream
        self.loop = loop
        self.peer = peer
        self.configuration = configuration
        self.parser = FrameParser(limits: configuration.limits)
        self.dispatcher = dispatcher
        var logger = logger
        logger[metadataKey: "conn"] = "\(id)"
        if let peer { logger[metadataKey: "peer_pid"] = "\(peer.pid)" }
        self.logger = logger
        self.onClosed = onClosed
    }

    public var framing: Framing? { parser.framing }
    public var queuedBytes: Int { stream.queuedBytes }
    var isClosed: Bool { state == .closed }

    func start() {
        // After a failed write libuv keeps the rest of the queue unsent: the connection is done.
        stream.onWriteError = { [unowned self] error in self.close(reason: "write failed: \(error)") }
        do {
            try stream.startReading { [unowned self] event in self.onRead(event) }
        } catch {
            close(reason: "cannot start reading: \(error)")
        }
    }

    // MARK: Reading

    private func onRead(_ event: ReadEvent) {
        switch event {
        case .data(let bytes):
            for frame in parser.feed(bytes) {
                handle(frame)
                if state == .closed { return }
            }
        case .eof:
            close(reason: nil)
        case .error(let error):
            close(reason: "read failed: \(error)")
        }
    }

    private func handle(_ frame: FrameEvent) {
        switch frame {
        case .message(let body):
            dispatchingBatch = body.first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D } == UInt8(ascii: "[")
            defer { dispatchingBatch = false }
            dispatcher.handle(body: body, context: self) { [weak self] (reply: consuming [UInt8]) in
                self?.send(consume reply)
            }
        case .attachment(_, let bytes):
            // No method takes an attachment from a client yet; say so rather than drop it.
            sendError(.invalidRequest("unexpected_attachment"), extra: ["bytes": .number(JSONNumber(bytes.count))])
        case .oversized(let declared, let limit):
            logger.info("oversized frame skipped", metadata: ["limit": "\(limit)", "declared": "\(declared.map(String.init) ?? "line")"])
            sendError(.invalidRequest("frame_too_large"), extra: ["limit": .number(JSONNumber(limit))])
        case .fatal(let error):
            logger.info("closing: framing cannot resynchronise", metadata: ["error": "\(error)"])
            sendError(.parseError("\(error); closing the connection"), extra: [:])
            closeAfterFlush()
        }
    }

    // MARK: Writing and backpressure

    /// Sends one encoded JSON-RPC message (a response, a batch, or a notification), framed the
    /// way this client chose. Dropped once the connection is closed: a handler that finishes
    /// after its client left has nobody to tell.
    public func send(_ body: consuming [UInt8]) {
        guard state != .closed else { return }
        let frame = FrameEncoder.message(consume body, framing: parser.framing ?? .newlineDelimited)
        do {
            try stream.write(frame)
        } catch {
            close(reason: "write failed: \(error)")
            return
        }
        if state == .reading && stream.queuedBytes > configuration.maxQueueBytes {
            pause()
        }
    }

    /// True while more than `maxQueueBytes` are queued: producers hold back (render streams keep
    /// only the names of finished files) until `whenDrained` calls them.
    var isOverLimit: Bool {
        if case .paused = state { return true }
        return stream.queuedBytes > configuration.maxQueueBytes
    }

    /// Runs `body` once the connection has drained below its limit (at once if it is not over
    /// it); never, if the connection closes first.
    func whenDrained(_ body: @escaping () -> Void) {
        guard state != .closed else { return }
        guard isOverLimit else { return body() }
        resumeWaiters.append(body)
    }

    /// Sends one encoded message and, on a header-framed connection, the attachment frame it
    /// announces right behind it, in one write (no other frame can come between them). The
    /// parts are handed to the socket as they are: a large body is not copied into a frame.
    func send(_ body: [UInt8], attachment: [UInt8]?) {
        guard state != .closed else { return }
        var parts: [[UInt8]]
        switch parser.framing ?? .newlineDelimited {
        case .newlineDelimited:
            parts = [body, [UInt8(ascii: "\n")]]
        case .header:
            parts = [FrameEncoder.messageHeader(count: body.count), body]
            if let attachment {
                parts += [FrameEncoder.attachmentHeader(count: attachment.count), attachment]
            }
        }
        do {
            try stream.write(parts)
        } catch {
            close(reason: "write failed: \(error)")
            return
        }
        if state == .reading && stream.queuedBytes > configuration.maxQueueBytes {
            pause()
        }
    }

    /// An attachment frame on its own, for the response just sent (header framing only; the
    /// caller makes sure that response was written, and nothing since).
    func sendAttachment(_ bytes: [UInt8]) {
        guard state != .closed, parser.framing == .header else { return }
        do {
            try stream.write([FrameEncoder.attachmentHeader(count: bytes.count), bytes])
        } catch {
            close(reason: "write failed: \(error)")
            return
        }
        if state == .reading && stream.queuedBytes > configuration.maxQueueBytes {
            pause()
        }
    }

    /// An error with id null (framing-level problems have no request id), `extra` merged into data.
    private func sendError(_ error: RPCError, extra: [String: JSONValue]) {
        var error = error
        if case .object(var data)? = error.data {
            data.merge(extra) { _, new in new }
            error.data = .object(data)
        }
        send(Response(id: .null, error: error).encoded())
    }

    private func pause() {
        let now = loop.nowMilliseconds
        state = .paused(since: now, lastQueued: stream.queuedBytes, lastProgress: now)
        stream.stopReading()
        logger.debug("paused reading: replies not being read", metadata: ["queued": "\(stream.queuedBytes)"])
        stream.setDrainHandler(lowWater: configuration.maxQueueBytes / 2) { [unowned self] in self.resume() }
        // Check for write progress a few times per timeout, so "no byte written for the
        // timeout" is measured to within a quarter of it.
        let interval = max(configuration.slowClientTimeoutMilliseconds / 4, 10)
        armWatchdog(after: interval, repeat: interval) { [unowned self] in self.checkProgress() }
    }

    private func checkProgress() {
        guard case .paused(let since, let lastQueued, let lastProgress) = state else { return }
        let now = loop.nowMilliseconds
        let queued = stream.queuedBytes
        if queued < lastQueued {
            state = .paused(since: since, lastQueued: queued, lastProgress: now)
        } else if now - lastProgress >= configuration.slowClientTimeoutMilliseconds {
            close(reason: "slow client: \(queued) bytes queued, nothing written for \(now - lastProgress) ms")
        }
    }

    private func resume() {
        guard case .paused = state else { return }
        stream.setDrainHandler(lowWater: 0, nil)
        watchdog?.stop()
        state = .reading
        do { try stream.startReading { [unowned self] event in self.onRead(event) } } catch {
            close(reason: "cannot resume reading: \(error)")
            return
        }
        let waiters = resumeWaiters
        resumeWaiters = []
        for waiter in waiters { waiter() }
    }

    /// Stops taking requests and closes once everything queued has been written (or the
    /// slow-client timeout passes, so a reader that never reads cannot hold up shutdown).
    func closeAfterFlush() {
        guard state != .closed, state != .closingAfterFlush else { return }
        state = .closingAfterFlush
        stream.stopReading()
        if stream.queuedBytes == 0 {
            close(reason: nil)
            return
        }
        stream.setDrainHandler(lowWater: 0) { [unowned self] in self.close(reason: nil) }
        armWatchdog(after: configuration.slowClientTimeoutMilliseconds, repeat: 0) { [unowned self] in
            self.close(reason: "gave up flushing \(self.stream.queuedBytes) bytes")
        }
    }

    private func armWatchdog(after milliseconds: UInt64, repeat interval: UInt64, _ body: @escaping () -> Void) {
        do {
            if watchdog == nil { watchdog = try Timer(loop: loop) }
            try watchdog?.start(after: Int(clamping: milliseconds), repeat: Int(clamping: interval), body)
        } catch {
            logger.warning("cannot arm the slow-client watchdog", metadata: ["error": "\(error)"])
        }
    }

    func close(reason: String?) {
        guard state != .closed else { return }
        state = .closed
        resumeWaiters = []
        if let reason { logger.notice("closing connection", metadata: ["reason": "\(reason)"]) }
        watchdog?.close(nil)
        watchdog = nil
        stream.setDrainHandler(lowWater: 0, nil)
        stream.close { [self] in onClosed(self) }
    }
}

/// The ids a connection has in flight: usually one or a few, so they are kept in an array and
/// compared (a number id compares as an integer), with no hashing; past 16 a Set takes over.
struct RequestIDSet {
    private var few: [RequestID] = []
    private var many: Set<RequestID>?

    var count: Int { many?.count ?? few.count }

    /// False when `id` is already in the set.
    mutating func insert(_ id: RequestID) -> Bool {
        if many != nil { return many!.insert(id).inserted }
        if few.contains(id) { return false }
        if few.count < 16 {
            few.append(id)
        } else {
            many = Set(few + [id])
            few = []
        }
        return true
    }

    mutating func remove(_ id: RequestID) {
        if many != nil {
            many!.remove(id)
        } else if let index = few.firstIndex(of: id) {
            few.remove(at: index)
        }
    }

    func contains(_ id: RequestID) -> Bool {
        many?.contains(id) ?? few.contains(id)
    }
}
