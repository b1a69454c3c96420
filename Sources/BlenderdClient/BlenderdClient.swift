import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// A blocking JSON-RPC client on the daemon's Unix socket, for command-line tools and tests.
/// One request at a time; notifications that arrive meanwhile go to `onNotification`.
public final class BlenderdClient {
    public let path: String
    public let framing: Framing
    /// Seconds to wait for a reply; nil waits forever.
    public var timeout: Double?
    public var onNotification: ((Request) -> Void)?
    /// Attachment frames (header framing) that arrive while a call waits: each follows the
    /// notification that announced it (`render.image` with `delivery: "binary"`).
    public var onAttachment: (([UInt8]) -> Void)?

    /// Asked when a signal interrupts a wait and before each request is sent: true means the
    /// user wants to stop (blenderctl answers from its SIGINT/SIGTERM handler). A call waiting for
    /// its reply then sends `request.cancel` for it and keeps waiting: its reply (usually -32006)
    /// is thrown, or `.interrupted` if it succeeded anyway; a request not sent yet is not sent.
    public var interruption: (() -> Bool)?

    private var fd: Int32
    private var parser: FrameParser
    private var nextID = 1
    private var pending: [FrameEvent] = []

    public init(path: String, framing: Framing = .newlineDelimited, timeout: Double? = 60) throws(ClientError) {
        self.path = path
        self.framing = framing
        self.timeout = timeout
        self.parser = FrameParser(limits: FrameLimits(), framing: framing)
        self.fd = try Self.connect(path)
    }

    deinit { close() }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Calls `method` and returns its result, or throws `.rpc` with the daemon's error.
    public func call(_ method: String, params: JSONValue? = nil) throws(ClientError) -> JSONValue {
        try reply(to: send(method, params: params))
    }

    /// Sends a request without waiting for its reply; its id is for `reply(to:)` and for a
    /// `request.cancel` that names it.
    public func send(_ method: String, params: JSONValue? = nil) throws(ClientError) -> RequestID {
        if interruption?() == true { throw .interrupted }
        let id = RequestID.number(JSONNumber(nextID))
        nextID += 1
        try send(raw: FrameEncoder.message(Request(id: id, method: method, params: params).encoded(), framing: framing))
        return id
    }

    /// Reads until the response to `id`: its result, or `.rpc` with its error. Notifications on
    /// the way go to `onNotification`; a response to another id (the answer to a
    /// `request.cancel` sent meanwhile) is skipped; an id-null error is the daemon rejecting our
    /// framing, which ends the call.
    public func reply(to id: RequestID) throws(ClientError) -> JSONValue {
        var cancelling = false
        while true {
            let body: [UInt8]
            do {
                body = try nextMessage()
            } catch .interrupted where !cancelling {
                // The daemon stops the call (SIGINT to its Blender, then harder) and answers it.
                cancelling = true
                _ = try send("request.cancel", params: ["id": id.json])
                continue
            }
            guard let value = try? JSON.parse(body, maxDepth: FrameLimits().maxDepth) else {
                throw .io("unparsable reply: \(String(decoding: body.prefix(200), as: UTF8.self))")
            }
            switch try? Message(validating: value) {
            case .response(let response)?:
                guard response.id == id || response.id == RequestID.null else { continue }
                switch response.result {
                case .success(let result):
                    if cancelling { throw .interrupted }  // it finished before the cancel landed
                    return result
                case .failure(let error): throw .rpc(error)
                }
            case .request(let notification)? where notification.id == nil:
                onNotification?(notification)
            default:
                throw .io("unexpected message from the daemon: \(JSON.string(value))")
            }
        }
    }

    /// Waits for the next notification when no call is running (`job.progress` after
    /// `job.submit`, `events.subscribe`'s stream). Attachment frames go to `onAttachment` as
    /// during a call; `timeout` applies to each read, so pass nil to follow a quiet stream.
    public func nextNotification() throws(ClientError) -> Request {
        while true {
            let body = try nextMessage()
            guard let value = try? JSON.parse(body, maxDepth: FrameLimits().maxDepth) else {
                throw .io("unparsable message: \(String(decoding: body.prefix(200), as: UTF8.self))")
            }
            switch try? Message(validating: value) {
            case .request(let notification)? where notification.id == nil:
                return notification
            case .response(let response)? where response.id == RequestID.null:
                if case .failure(let error) = response.result { throw .rpc(error) }
                continue
            default:
                throw .io("unexpected message from the daemon: \(JSON.string(value))")
            }
        }
    }

    /// Typed call of a `BlenderdProtocol` method.
    public func call<M: RPCMethod>(_ method: M.Type, _ params: M.Params) throws(ClientError) -> M.Result {
        let encoded: JSONValue
        do { encoded = try JSONValueEncoder().encode(params) } catch {
            throw .io("cannot encode params: \(error)")
        }
        let result = try call(M.name, params: encoded)
        do { return try JSONValueDecoder().decode(M.Result.self, from: result) } catch {
            throw .io("unexpected result for \(M.name): \(error)")
        }
    }

    /// The socket, for a test that writes from another thread (`writeAll`) while this one reads.
    public var fileDescriptor: Int32 { fd }

    /// Writes bytes as they are (tests use this to send broken input).
    public func send(raw bytes: [UInt8]) throws(ClientError) {
        try Self.writeAll(bytes, to: fd)
    }

    /// Blocking write of every byte; thread-safe as long as one thread writes a given fd.
    public static func writeAll(_ bytes: [UInt8], to fd: Int32) throws(ClientError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .io("write: \(describeErrno(errno))")
            }
            offset += written
        }
    }

    /// The next framed JSON message body from the daemon (attachments go to `onAttachment`).
    public func nextMessage() throws(ClientError) -> [UInt8] {
        while true {
            if !pending.isEmpty {
                let event = pending.removeFirst()
                switch event {
                case .message(let body): return body
                case .attachment(_, let bytes):
                    onAttachment?(bytes)
                    continue
                case .oversized(_, let limit): throw .io("the daemon sent a frame over \(limit) bytes")
                case .fatal(let error): throw .io("unreadable framing from the daemon: \(error)")
                }
            }
            try fill()
        }
    }

    /// The attachment frame that follows the response just returned (a result that announced
    /// `attachment` without `base64` or `path`: `scene.export` with `delivery: "binary"`).
    public func nextAttachment() throws(ClientError) -> [UInt8] {
        while true {
            if !pending.isEmpty {
                switch pending.removeFirst() {
                case .attachment(_, let bytes): return bytes
                case .message(let body): throw .io("expected an attachment frame, got \(String(decoding: body.prefix(200), as: UTF8.self))")
                case .oversized(_, let limit): throw .io("the daemon sent a frame over \(limit) bytes")
                case .fatal(let error): throw .io("unreadable framing from the daemon: \(error)")
                }
            }
            try fill()
        }
    }

    private func fill() throws(ClientError) {
        if let timeout {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(min(timeout * 1000, Double(Int32.max))))
            if ready == 0 { throw .timedOut(seconds: timeout) }
            if ready < 0 {
                // Interrupted: the caller's loop polls again (reading now could block forever),
                // unless the signal was the user asking to stop.
                if errno == EINTR { return try checkInterruption() }
                throw .io("poll: \(describeErrno(errno))")
            }
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count == 0 { throw .closedByDaemon }
        if count < 0 {
            if errno == EINTR { return try checkInterruption() }
            if errno == EAGAIN { return }
            throw .io("read: \(describeErrno(errno))")
        }
        buffer.withUnsafeBytes { raw in
            pending.append(contentsOf: parser.feed(UnsafeRawBufferPointer(rebasing: raw[0..<count])))
        }
    }

    private func checkInterruption() throws(ClientError) {
        if interruption?() == true { throw .interrupted }
    }

    private static func connect(_ path: String) throws(ClientError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw .io("socket: \(describeErrno(errno))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let bytes = Array(path.utf8)
        guard bytes.count < capacity else {
            Glibc.close(fd)
            throw .io("socket path is \(bytes.count) bytes; Unix socket paths are limited to \(capacity - 1)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let code = errno
            Glibc.close(fd)
            throw .cannotConnect(path: path, errno: code)
        }
        return fd
    }
}

func describeErrno(_ code: Int32) -> String {
    String(cString: strerror(code))
}
