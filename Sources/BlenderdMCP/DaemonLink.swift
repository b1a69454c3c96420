import BlenderdClient
import BlenderdProtocol
import Dispatch
import Foundation
import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// Why a forwarded call did not produce a result.
enum LinkFailure: Error {
    /// The daemon could not be reached, or the session could not be opened or resumed: nothing
    /// the model can fix by changing its code (`stage`: connect, session.open, session.resume).
    case unavailable(stage: String, ClientError)
    /// The daemon answered the call with an error, or the connection broke during it.
    case call(ClientError)
    /// The MCP client cancelled the call before it reached the daemon, or the server is closing.
    case cancelled
}

/// A forwarded call's result, with what happened to the session on the way (a reconnect, a
/// session that had to be reopened) for the tool result to mention.
struct Forwarded: Sendable {
    var result: JSONValue
    var session: String
    var notices: [String]
}

/// The MCP server's one connection to the daemon and its one session.
///
/// `BlenderdClient` blocks, and the SDK runs tool handlers as tasks on Swift's cooperative pool,
/// which must never block. So every daemon exchange runs on one serial dispatch queue: that keeps
/// the blocking reads off the pool and also puts concurrent tool calls of one MCP client in order,
/// which the session needs anyway (its calls run one at a time in the daemon).
///
/// The session is opened on the first tool call, not at start-up: an MCP host starts its servers
/// when it launches, long before (or without) any use, and an idle session holds a Blender.
final class DaemonLink: @unchecked Sendable {
    let configuration: MCPConfiguration
    private let queue = DispatchQueue(label: "blenderd-mcp.daemon")

    // Touched only on `queue`.
    private var client: BlenderdClient?
    private var opened: SessionOpen.Result?
    /// Whether `client`'s connection owns `opened` (after a reconnect it must be resumed first).
    private var owned = false
    private var notices: [String] = []

    // Shared between the queue and close(), under `stateLock`.
    private let stateLock = NSLock()
    private var running: CallCancellation?
    private var closing = false

    init(configuration: MCPConfiguration) {
        self.configuration = configuration
    }

    /// The session id, once one is open (for tests and messages).
    var sessionID: String? { queue.sync { opened?.session } }

    /// Calls `method` on the session: `params` get `session` added. Notifications of the call
    /// (`render.progress`, `render.image`) go to `onNotification` on the link's thread, in order.
    /// Cancelling the calling task sends `request.cancel` for it.
    func call(_ method: String, _ params: [String: JSONValue],
              onNotification: (@Sendable (Request) -> Void)? = nil) async throws(LinkFailure) -> Forwarded {
        let cancellation = CallCancellation()
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<Forwarded, LinkFailure>, Never>) in
                queue.async {
                    continuation.resume(returning: self.run(method, params, cancellation, onNotification))
                }
            }
        } onCancel: {
            cancellation.cancel()
        }
        return try outcome.get()
    }

    /// Ends the session (`session.close`, so its Blender goes back to the pool now rather than
    /// after the daemon's idle timeout) and the connection. A call still running is cancelled;
    /// calls not yet started fail. Waits at most `seconds`: a `session.open` still queued in
    /// the daemon cannot be cancelled, and closing the connection drops it anyway.
    func close(within seconds: Double) async {
        let runningCall: CallCancellation? = stateLock.withLock {
            closing = true
            return running
        }
        runningCall?.cancel()
        let done = DispatchSemaphore(value: 0)
        queue.async {
            self.shutdown()
            done.signal()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                _ = done.wait(timeout: .now() + seconds)
                continuation.resume()
            }
        }
    }

    // MARK: - On the queue

    private func run(_ method: String, _ params: [String: JSONValue], _ cancellation: CallCancellation,
                     _ onNotification: (@Sendable (Request) -> Void)?) -> Result<Forwarded, LinkFailure> {
        let closingNow: Bool = stateLock.withLock {
            if !closing { running = cancellation }
            return closing
        }
        defer { stateLock.withLock { running = nil } }
        if closingNow || cancellation.isCancelled { return .failure(.cancelled) }

        var retried = false
        while true {
            let client: BlenderdClient
            let session: String
            do throws(LinkFailure) {
                (client, session) = try ensureSession()
            } catch {
                return .failure(error)
            }
            var full = params
            full["session"] = .string(session)
            let id: RequestID
            do {
                id = try client.send(method, params: .object(full))
            } catch {
                // Not sent, so not run: a connection that died since the last call (a restarted
                // daemon) costs a reconnect, not the call.
                dropConnection()
                if !retried {
                    retried = true
                    continue
                }
                return .failure(.call(error))
            }
            return finish(client, method, id, session, cancellation, onNotification)
        }
    }

    private func finish(_ client: BlenderdClient, _ method: String, _ id: RequestID, _ session: String,
                        _ cancellation: CallCancellation, _ onNotification: (@Sendable (Request) -> Void)?) -> Result<Forwarded, LinkFailure> {
        do {
            let result = try reply(client, to: id, cancellation, onNotification)
            return .success(Forwarded(result: result, session: session, notices: takeNotices()))
        } catch {
            if Self.breaksConnection(error) {
                dropConnection()
                notices.append("The connection to blenderd broke during \(method) (\(error)); "
                    + "the next call reconnects and resumes session \(session).")
            }
            return .failure(.call(error))
        }
    }

    /// A connection that owns a session: connect, then open the session, or resume it after a
    /// reconnect (its token lets a new connection take it over, scene intact).
    private func ensureSession() throws(LinkFailure) -> (BlenderdClient, String) {
        if let existing = self.client, Self.hungUp(existing.fileDescriptor) {
            // The daemon closed this connection while we were idle (a restart, a shutdown).
            dropConnection()
        }
        let client: BlenderdClient
        if let existing = self.client {
            client = existing
        } else {
            do {
                client = try BlenderdClient(path: configuration.socketPath, framing: .newlineDelimited,
                                            timeout: configuration.replyTimeout)
            } catch {
                throw .unavailable(stage: "connect", error)
            }
            self.client = client
            owned = false
        }
        if let opened, owned { return (client, opened.session) }

        if let previous = opened {
            do {
                let resumed = try exchangeTyped(client, SessionResume.self, .init(session: previous.session, token: previous.token))
                opened = resumed
                owned = true
                var notice = "Reconnected to blenderd and resumed session \(resumed.session)"
                if let checkpoint = resumed.restoredCheckpoint {
                    notice += " on a fresh Blender, its scene loaded from checkpoint \(checkpoint)"
                }
                notices.append(notice + ".")
                return (client, resumed.session)
            } catch {
                if Self.breaksConnection(error) {
                    dropConnection()
                    throw .unavailable(stage: "session.resume", error)
                }
                // Gone (closed, expired, or the daemon lost it): start over with an empty scene.
                notices.append("Session \(previous.session) could not be resumed (\(error)); "
                    + "a new session with an empty scene was opened, so earlier work must be redone.")
                opened = nil
            }
        }

        do {
            let result = try exchangeTyped(client, SessionOpen.self, configuration.session)
            opened = result
            owned = true
            return (client, result.session)
        } catch {
            if Self.breaksConnection(error) { dropConnection() }
            throw .unavailable(stage: "session.open", error)
        }
    }

    private func shutdown() {
        if let client, let opened, owned {
            client.timeout = 10
            _ = try? exchange(client, SessionClose.name, .object(["session": .string(opened.session)]), nil, nil)
        }
        dropConnection()
        opened = nil
    }

    private func dropConnection() {
        client?.close()
        client = nil
        owned = false
    }

    private func takeNotices() -> [String] {
        defer { notices.removeAll() }
        return notices
    }

    /// After these the connection's state is unknown (a reply may still come, or never): start
    /// a new one rather than read a stale answer as the next call's.
    private static func breaksConnection(_ error: ClientError) -> Bool {
        switch error {
        case .rpc: return false
        case .io, .closedByDaemon, .timedOut, .cannotConnect, .interrupted: return true
        }
    }

    /// Whether the daemon has closed `fd`'s connection, without blocking or reading: a Unix
    /// socket whose peer is gone polls as POLLHUP.
    private static func hungUp(_ fd: Int32) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) == 1 else { return false }
        return descriptor.revents & (Int16(POLLHUP) | Int16(POLLERR)) != 0
    }

    private func exchangeTyped<M: RPCMethod>(_ client: BlenderdClient, _ method: M.Type, _ params: M.Params) throws(ClientError) -> M.Result {
        let encoded: JSONValue
        do { encoded = try JSONValueEncoder().encode(params) } catch {
            throw .io("cannot encode params of \(M.name): \(error)")
        }
        let result = try exchange(client, M.name, encoded, nil, nil)
        do { return try JSONValueDecoder().decode(M.Result.self, from: result) } catch {
            throw .io("unexpected result for \(M.name): \(error)")
        }
    }

    /// One request and its reply, sent and read apart so that a cancel in between can name the
    /// request's id.
    private func exchange(_ client: BlenderdClient, _ method: String, _ params: JSONValue,
                          _ cancellation: CallCancellation?,
                          _ onNotification: (@Sendable (Request) -> Void)?) throws(ClientError) -> JSONValue {
        let id = try client.send(method, params: params)
        return try reply(client, to: id, cancellation, onNotification)
    }

    private func reply(_ client: BlenderdClient, to id: RequestID, _ cancellation: CallCancellation?,
                       _ onNotification: (@Sendable (Request) -> Void)?) throws(ClientError) -> JSONValue {
        // From here a cancel (from another thread) writes request.cancel on the same socket. It
        // is disarmed before this function returns, so it never overlaps the next call's write.
        let fd = client.fileDescriptor
        let framing = client.framing
        cancellation?.arm {
            let cancel = Request(id: .string("cancel-\(id)"), method: RequestCancel.name, params: .object(["id": id.json]))
            try? BlenderdClient.writeAll(FrameEncoder.message(cancel.encoded(), framing: framing), to: fd)
        }
        defer { cancellation?.disarm() }
        let previous = client.onNotification
        client.onNotification = onNotification
        defer { client.onNotification = previous }
        return try client.reply(to: id)
    }
}

/// The cancel of one forwarded call. `arm` gives it what to do once the request is on the wire;
/// a cancel that came earlier acts at once. The action runs under the lock, so `disarm` (before
/// the link's next write) waits for a cancel write in progress.
final class CallCancellation: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private var action: (() -> Void)?

    var isCancelled: Bool { lock.withLock { cancelled } }

    func cancel() {
        lock.withLock {
            guard !cancelled else { return }
            cancelled = true
            action?()
            action = nil
        }
    }

    func arm(_ newAction: @escaping () -> Void) {
        lock.withLock {
            if cancelled { newAction() } else { action = newAction }
        }
    }

    func disarm() {
        lock.withLock { action = nil }
    }
}
