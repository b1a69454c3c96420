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
    private var pending: [Int: (RPCError) -> Void] = [:]
    private var nextToken = 0

    public var methods: [String] { dispatcher.methods }
    var inFlight: Int { pending.count }
    /// Called each time a request in flight is answered (shutdown waits on this).
    var onSettled: (() -> Void)?

    /// Registers a typed method of `BlenderdProtocol`.
    public func register<M: RPCMethod>(
        _ method: M.Type,
        _ handler: @escaping (M.Params, ClientConnection, @escaping (Result<M.Result, RPCError>) -> Void) -> Void
    ) {
        dispatcher.register(method, withRequest: { [unowned self] params, request, connection, reply in
            self.run(request, on: connection, reply: reply) { settle in handler(params, connection, settle) }
        })
    }

    /// Registers a typed method whose handler needs the request's id (request.cancel finds
    /// running calls by it).
    public func register<M: RPCMethod>(
        _ method: M.Type,
        withRequestID handler: @escaping (M.Params, RequestID?, ClientConnection, @escaping (Result<M.Result, RPCError>) -> Void) -> Void
    ) {
        dispatcher.register(method, withRequest: { [unowned self] params, request, connection, reply in
            self.run(request, on: connection, reply: reply) { settle in handler(params, request.id, connection, settle) }
        })
    }

    /// Registers an untyped method (the JSON-RPC specification's examples in the transcript
    /// tests take positional params, which typed blenderd methods never do).
    public func registerRaw(
        _ name: String,
        _ handler: @escaping (Request, ClientConnection, @escaping (Result<JSONValue, RPCError>) -> Void) -> Void
    ) {
        dispatcher.register(name) { [unowned self] request, connection, reply in
            self.run(request, on: connection, reply: reply) { settle in handler(request, connection, settle) }
        }
    }

    private func run<T>(
        _ request: Request, on connection: ClientConnection,
        reply: @escaping (Result<T, RPCError>) -> Void,
        _ body: (@escaping (Result<T, RPCError>) -> Void) -> Void
    ) {
        if let refusal { return reply(.failure(refusal)) }
        if let id = request.id {
            guard connection.inFlightIDs.insert(id).inserted else {
                return reply(.failure(.invalidRequest("duplicate_id")))
            }
        }
        let token = nextToken
        nextToken += 1
        var settled = false
        let settle: (Result<T, RPCError>) -> Void = { [unowned self] result in
            guard !settled else { return }
            settled = true
            self.pending[token] = nil
            if let id = request.id { connection.inFlightIDs.remove(id) }
            // Every error a client gets carries its code's fixed message, wherever it was made
            // (the pool, a worker, a handler).
            reply(result.mapError { $0.withFixedMessage })
            self.onSettled?()
        }
        pending[token] = { error in settle(.failure(error)) }
        body(settle)
    }

    /// Answers every request still in flight with `error` (shutdown past its grace period).
    func cancelAll(with error: RPCError) {
        for cancel in pending.values { cancel(error) }
    }
}
