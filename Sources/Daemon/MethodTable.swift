import BlenderdProtocol
import JSONRPC

/// The daemon's methods. Every registration goes through here, so three rules hold for every
/// method without each handler remembering them:
/// - requests in flight are counted and remembered, so shutdown can wait for them and, past its
///   grace period, answer them `-32006`;
/// - an id still in flight on the same connection is refused (`-32600`, `duplicate_id`);
/// - while the daemon shuts down, new requests get `refusal` (`-32029`, `shutting_down`).
public final class MethodTable {
    let dispatcher: Dispatcher<ClientConnection>

    init(maxDepth: Int) {
        dispatcher = Dispatcher(maxDepth: maxDepth)
    }
    /// When set, new requests are answered with this error instead of running.
    var refusal: RPCError?
    /// Requests whose handlers have not replied yet, as a doubly linked list: linking and
    /// unlinking cost no hashing, and a handler that replies at once is never linked.
    private var pendingHead: PendingRequest?
    private(set) var inFlight = 0

    public var methods: [String] { dispatcher.methods }
    /// Called each time a request in flight is answered (shutdown waits on this).
    var onSettled: (() -> Void)?

    /// Registers a typed method of `BlenderdProtocol`.
    public func register<M: RPCMethod>(
        _ method: M.Type,
        _ handler: @escaping (M.Params, ClientConnection, @escaping (Result<M.Result, RPCError>) -> Void) -> Void
    ) {
        dispatcher.register(method, withRequest: { [unowned self] params, request, connection, reply in
            self.run(request.id, on: connection, reply: reply) { settle in handler(params, connection, settle) }
        })
    }

    /// Registers a typed method whose handler needs the request's id (request.cancel finds
    /// running calls by it).
    public func register<M: RPCMethod>(
        _ method: M.Type,
        withRequestID handler: @escaping (M.Params, RequestID?, ClientConnection, @escaping (Result<M.Result, RPCError>) -> Void) -> Void
    ) {
        dispatcher.register(method, withRequest: { [unowned self] params, request, connection, reply in
            self.run(request.id, on: connection, reply: reply) { settle in handler(params, request.id, connection, settle) }
        })
    }

    /// Registers a typed method whose result is JSON text from a worker, sent to the client
    /// without being parsed and serialised again (RawJSON.swift). The handler also gets the
    /// request's id.
    public func registerForwarding<M: RPCMethod>(
        _ method: M.Type,
        _ handler: @escaping (M.Params, RequestID?, ClientConnection, @escaping (Result<RawJSON, RPCError>) -> Void) -> Void
    ) {
        dispatcher.registerForwarding(method) { [unowned self] params, request, connection, reply in
            self.run(request.id, on: connection, reply: reply) { settle in handler(params, request.id, connection, settle) }
        }
    }

    /// Registers a method whose params and result are both JSON text passed on (script.exec:
    /// the code goes to the worker as the client wrote it, RawRequest.swift). The handler decodes
    /// the params itself and also gets the request's id.
    public func registerForwarding<M: RPCMethod>(
        _ method: M.Type,
        paramsText handler: @escaping (RawJSON?, RequestID?, ClientConnection, @escaping (Result<RawJSON, RPCError>) -> Void) -> Void
    ) {
        dispatcher.registerForwarding(M.name, paramsText: { [unowned self] request, connection, reply in
            self.run(request.id, on: connection, reply: reply) { settle in handler(request.params, request.id, connection, settle) }
        })
    }

    /// Registers an untyped method (the JSON-RPC specification's examples in the transcript
    /// tests take positional params, which typed blenderd methods never do).
    public func registerRaw(
        _ name: String,
        _ handler: @escaping (Request, ClientConnection, @escaping (Result<JSONValue, RPCError>) -> Void) -> Void
    ) {
        dispatcher.register(name) { [unowned self] request, connection, reply in
            self.run(request.id, on: connection, reply: reply) { settle in handler(request, connection, settle) }
        }
    }

    private func run<T>(
        _ id: RequestID?, on connection: ClientConnection,
        reply: @escaping (Result<T, RPCError>) -> Void,
        _ body: (@escaping (Result<T, RPCError>) -> Void) -> Void
    ) {
        if let refusal { return reply(.failure(refusal)) }
        if let id {
            guard connection.inFlightIDs.insert(id) else {
                return reply(.failure(.invalidRequest("duplicate_id")))
            }
        }
        let pending = TypedPendingRequest(table: self, id: id, connection: connection, reply: reply)
        body { result in pending.settle(result) }
        if !pending.settled { link(pending) }
    }

    private func link(_ pending: PendingRequest) {
        pending.next = pendingHead
        pendingHead?.previous = pending
        pendingHead = pending
        pending.isLinked = true
        inFlight += 1
    }

    fileprivate func unlink(_ pending: PendingRequest) {
        guard pending.isLinked else { return }
        pending.isLinked = false
        if let previous = pending.previous { previous.next = pending.next } else { pendingHead = pending.next }
        pending.next?.previous = pending.previous
        pending.next = nil
        pending.previous = nil
        inFlight -= 1
    }

    /// Answers every request still in flight with `error` (shutdown past its grace period).
    func cancelAll(with error: RPCError) {
        var all: [PendingRequest] = []
        var node = pendingHead
        while let current = node {
            all.append(current)
            node = current.next
        }
        for pending in all { pending.cancel(error) }
    }
}

/// A request in flight (see `MethodTable.run`).
private class PendingRequest {
    var next: PendingRequest?
    unowned(unsafe) var previous: PendingRequest?
    var isLinked = false

    func cancel(_ error: RPCError) {}
}

private final class TypedPendingRequest<T>: PendingRequest {
    unowned let table: MethodTable
    let id: RequestID?
    let connection: ClientConnection
    let reply: (Result<T, RPCError>) -> Void
    private(set) var settled = false

    init(table: MethodTable, id: RequestID?, connection: ClientConnection, reply: @escaping (Result<T, RPCError>) -> Void) {
        self.table = table
        self.id = id
        self.connection = connection
        self.reply = reply
    }

    /// The first reply goes out; later ones (a cancelled request whose handler finishes) are dropped.
    func settle(_ result: Result<T, RPCError>) {
        guard !settled else { return }
        settled = true
        table.unlink(self)
        if let id { connection.inFlightIDs.remove(id) }
        // Every error a client gets carries its code's fixed message, wherever it was made
        // (the pool, a worker, a handler).
        reply(result.mapError { $0.withFixedMessage })
        table.onSettled?()
    }

    override func cancel(_ error: RPCError) {
        settle(.failure(error))
    }
}
