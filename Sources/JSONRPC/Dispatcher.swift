// Routes received messages to handlers and assembles the replies.
//
// Handlers answer through a callback rather than a return value: most blenderd methods wait on a
// Blender instance, and everything runs on the one loop thread, so nothing may block. The
// dispatcher guarantees the JSON-RPC shape of the conversation around them:
// - every request gets exactly one reply (a second reply from a buggy handler is dropped, and
//   trips an assertion in debug builds);
// - notifications never get a reply, not even an error;
// - a batch gets one array once all its replies are in, or nothing when it held only
//   notifications (and responses);
// - messages that are responses (the daemon may also be a client on a connection) go to
//   `onResponse` and are never answered.
//
// Not thread-safe: use one dispatcher from one thread (the loop thread).

/// Dispatches JSON-RPC bodies to registered handlers. `Context` is what a handler needs to know
/// about where the message came from (typically the connection).
public final class Dispatcher<Context> {
    public typealias Reply = (Result<JSONValue, RPCError>) -> Void
    public typealias Handler = (Request, Context, @escaping Reply) -> Void
    /// A reply whose result is JSON text passed on as it is (a worker's answer; RawJSON.swift).
    public typealias ForwardingReply = (Result<RawJSON, RPCError>) -> Void
    public typealias ForwardingHandler = (Request, Context, @escaping ForwardingReply) -> Void
    /// A forwarding handler that also takes its params as JSON text (RawRequest.swift).
    public typealias TextForwardingHandler = (RawRequest, Context, @escaping ForwardingReply) -> Void

    /// Both kinds are kept as they are (no adapter closure per call): replies are encoded
    /// straight from the tree or the text.
    private enum Entry {
        case value(Handler)
        case forwarding(ForwardingHandler)
        case forwardingText(TextForwardingHandler)
    }

    private var handlers: [String: Entry] = [:]

    /// Nesting limit for bodies passed to `handle(body:…)`; deeper input is a -32700.
    public var maxDepth: Int

    /// Responses received on this connection (replies to requests we sent as a client).
    public var onResponse: ((Response, Context) -> Void)?

    /// Malformed responses, dropped without a reply (see `InvalidMessage.shouldReply`); for logging.
    public var onInvalidResponse: ((InvalidMessage, Context) -> Void)?

    /// Called when a handler replies a second time (the reply is dropped either way). When nil,
    /// a debug build stops on an assertion so the bug is found; a release build ignores it.
    public var onDuplicateReply: ((Request) -> Void)?

    public init(maxDepth: Int = JSON.defaultMaxDepth) {
        self.maxDepth = maxDepth
    }

    /// The registered method names, sorted.
    public var methods: [String] { handlers.keys.sorted() }

    /// Registers a raw handler; a later registration for the same name replaces it.
    public func register(_ method: String, _ handler: @escaping Handler) {
        handlers[method] = .value(handler)
    }

    /// Registers a raw handler whose results are JSON text, sent on unparsed.
    public func registerForwarding(_ method: String, _ handler: @escaping ForwardingHandler) {
        handlers[method] = .forwarding(handler)
    }

    /// Registers a forwarding handler that gets the params as JSON text, unparsed.
    public func registerForwarding(_ method: String, paramsText handler: @escaping TextForwardingHandler) {
        handlers[method] = .forwardingText(handler)
    }

    public func unregister(_ method: String) {
        handlers[method] = nil
    }

    /// Registers a typed handler: params are decoded from a by-name object (absent params decode
    /// from `{}`); a decoding failure or positional params answer -32602 with `data.path` and
    /// `data.reason` before the handler runs. The result is encoded with `JSONValueEncoder`.
    public func register<M: RPCMethod>(
        _ method: M.Type,
        _ handler: @escaping (M.Params, Context, @escaping (Result<M.Result, RPCError>) -> Void) -> Void
    ) {
        register(method, withRequest: { params, _, context, reply in handler(params, context, reply) })
    }

    /// As `register(_:_:)`, also passing the request (its id, e.g. for `request.cancel`).
    public func register<M: RPCMethod>(
        _ method: M.Type,
        withRequest handler: @escaping (M.Params, Request, Context, @escaping (Result<M.Result, RPCError>) -> Void) -> Void
    ) {
        let encodeResult = Self.resultEncoder(for: M.Result.self)
        let decode = Self.paramsDecoder(for: M.Params.self)
        register(M.name) { request, context, reply in
            let params: M.Params
            switch decode(request.params) {
            case .success(let decoded): params = decoded
            case .failure(let error): return reply(.failure(error))
            }
            handler(params, request, context) { result in
                switch result {
                case .success(let value):
                    do {
                        reply(.success(try encodeResult(value)))
                    } catch {
                        reply(.failure(.internalError("could not encode the result of \(M.name): \(error)")))
                    }
                case .failure(let error):
                    reply(.failure(error))
                }
            }
        }
    }

    /// As `register(_:withRequest:)` for a handler that answers with JSON text it got from
    /// elsewhere (a worker's result), which goes into the reply without being parsed.
    public func registerForwarding<M: RPCMethod>(
        _ method: M.Type,
        _ handler: @escaping (M.Params, Request, Context, @escaping ForwardingReply) -> Void
    ) {
        let decode = Self.paramsDecoder(for: M.Params.self)
        registerForwarding(M.name) { request, context, reply in
            switch decode(request.params) {
            case .success(let params): handler(params, request, context, reply)
            case .failure(let error): reply(.failure(error))
            }
        }
    }

    /// How a method's results become JSON, decided once when it is registered. Results that are
    /// their own JSON (`JSONValueRepresentable`, `JSONValue` included) skip the Codable machinery
    /// (a third of a daemon.ping's instructions went there). Deciding per call would cost more
    /// than it saves: a failing `as? any Protocol` scans the runtime's conformance tables every
    /// time (~28k instructions per request in a callgrind profile of script.exec).
    static func resultEncoder<R: Encodable>(for type: R.Type) -> (R) throws -> JSONValue {
        guard type is any JSONValueRepresentable.Type else {
            return { try JSONValueEncoder().encode($0) }
        }
        return { value in
            if let direct = value as? any JSONValueRepresentable { return direct.jsonValue }
            return try JSONValueEncoder().encode(value)
        }
    }

    /// How a method's params are decoded, decided once when it is registered: types that read
    /// themselves (`JSONValueDecodable`) skip Codable's containers.
    static func paramsDecoder<P: Decodable>(for type: P.Type) -> (JSONValue?) -> Result<P, RPCError> {
        guard let decodable = type as? any JSONValueDecodable.Type else {
            return { decodeParams(P.self, from: $0) }
        }
        return { params in
            let value: JSONValue
            switch params {
            case nil: value = .object([:])
            case .array?:
                return .failure(.invalidParams(
                    path: "params", reason: "params must be an object of named parameters, not a positional array"))
            case let other?: value = other
            }
            do throws(JSONDecodingError) {
                // The metatype is P's own, so the cast back cannot fail.
                guard let decoded = try decodable.init(jsonValue: value) as? P else {
                    return .failure(.internalError("\(P.self) decoded as another type"))
                }
                return .success(decoded)
            } catch {
                return .failure(.invalidParams(decoding: error))
            }
        }
    }

    /// Decodes by-name params; exposed so handlers registered raw can share the same errors.
    public static func decodeParams<P: Decodable>(_ type: P.Type, from params: JSONValue?) -> Result<P, RPCError> {
        // Methods without params are common (daemon.*, *.list); absent or `{}` needs no decoder.
        if P.self == NoParams.self, let none = NoParams() as? P {
            switch params {
            case nil: return .success(none)
            case .object(let members)? where members.isEmpty: return .success(none)
            case .object(let members)?:
                let first = members.keys.sorted().first ?? ""
                return .failure(.invalidParams(path: "params.\(first)", reason: "unknown member"))
            default: break  // arrays and the rest get the decoder's own error below
            }
        }
        let value: JSONValue
        switch params {
        case nil:
            value = .object([:])
        case .array?:
            return .failure(.invalidParams(
                path: "params", reason: "params must be an object of named parameters, not a positional array"))
        case let other?:
            value = other
        }
        do throws(JSONDecodingError) {
            return .success(try JSONValueDecoder(rejectUnknownKeys: true).decode(type, from: value))
        } catch {
            return .failure(.invalidParams(decoding: error))
        }
    }

    // MARK: - Handling bodies

    /// Parses, validates and dispatches one received body. `respond` is called once with the whole
    /// encoded reply (a single response or a batch array), or never when nothing needs an answer.
    /// It may be called before `handle` returns (synchronous handlers) or later.
    public func handle(body: [UInt8], context: Context, respond: @escaping (consuming [UInt8]) -> Void) {
        // The usual body, one valid request, is read with its params as text; the rest (batches,
        // responses, anything invalid) is parsed and explained in full.
        if let request = Message.parseRequest(body: body, maxDepth: maxDepth) {
            dispatchOutgoing(.text(request), context: context) { response in
                if let response { respond(response.encoded()) }
            }
            return
        }
        let parsed: ParsedBody
        do throws(InvalidMessage) {
            parsed = try Message.parse(body: body, maxDepth: maxDepth)
        } catch {
            respond(error.response.encoded())
            return
        }
        handle(parsed, context: context, respond: respond)
    }

    /// `handle(body:…)` for a body parsed elsewhere.
    public func handle(_ parsed: ParsedBody, context: Context, respond: @escaping (consuming [UInt8]) -> Void) {
        switch parsed {
        case .single(let item):
            process(item, context: context) { response in
                if let response { respond(response.encoded()) }
            }
        case .batch(let items):
            let collector = BatchCollector(count: items.count, respond: respond)
            for (index, item) in items.enumerated() {
                process(item, context: context) { collector.complete(index, with: $0) }
            }
        }
    }

    /// Dispatches one validated request. `completion` is called exactly once: with the response,
    /// or with nil for a notification (at once, before its handler runs, since nothing waits for it).
    public func dispatch(_ request: Request, context: Context, completion: @escaping (Response?) -> Void) {
        dispatchOutgoing(.tree(request), context: context) { completion($0?.response) }
    }

    private func dispatchOutgoing(_ request: Incoming, context: Context, completion: @escaping (OutgoingResponse?) -> Void) {
        guard let entry = handlers[request.method] else {
            if let id = request.id {
                completion(OutgoingResponse(id: id, error: .methodNotFound(request.method, suggestion: closestMethod(to: request.method))))
            } else {
                completion(nil)  // JSON-RPC 2.0 §4.1: notifications are never answered, even with errors.
            }
            return
        }
        if request.id == nil { completion(nil) }
        let once = ReplyOnce()
        let onDuplicate = onDuplicateReply
        func claim() -> Bool {
            guard once.claim() else {
                if let onDuplicate {
                    onDuplicate(request.tree)
                } else {
                    assertionFailure("handler for \(request.method) replied twice to id \(request.id?.description ?? "none")")
                }
                return false
            }
            return true
        }
        switch entry {
        case .value(let handler):
            handler(request.tree, context) { result in
                guard claim(), let id = request.id else { return }
                completion(OutgoingResponse(id: id, result: result.map(OutgoingResponse.Body.value)))
            }
        case .forwarding(let handler):
            handler(request.tree, context) { result in
                guard claim(), let id = request.id else { return }
                completion(OutgoingResponse(id: id, result: result.map(OutgoingResponse.Body.text)))
            }
        case .forwardingText(let handler):
            handler(request.text, context) { result in
                guard claim(), let id = request.id else { return }
                completion(OutgoingResponse(id: id, result: result.map(OutgoingResponse.Body.text)))
            }
        }
    }

    private func process(_ item: Result<Message, InvalidMessage>, context: Context, completion: @escaping (OutgoingResponse?) -> Void) {
        switch item {
        case .failure(let invalid):
            if invalid.shouldReply {
                completion(OutgoingResponse(id: invalid.id, error: invalid.error))
            } else {
                onInvalidResponse?(invalid, context)
                completion(nil)
            }
        case .success(.response(let response)):
            onResponse?(response, context)
            completion(nil)
        case .success(.request(let request)):
            dispatchOutgoing(.tree(request), context: context, completion: completion)
        }
    }

    // MARK: - Suggestions

    /// A registered name close to `method` (a typo, or a missing `daemon.` prefix), if any.
    func closestMethod(to method: String) -> String? {
        // Edit distance is quadratic; a megabyte-long method name must not cost seconds.
        let wanted = Array(method.utf8)
        guard !wanted.isEmpty, wanted.count <= 64 else { return nil }
        var best: (name: String, distance: Int)?
        for name in handlers.keys {
            if name.hasSuffix("." + method) { return name }
            let candidate = Array(name.utf8)
            guard candidate.count <= 64 else { continue }
            let distance = Self.editDistance(wanted, candidate)
            if distance < (best?.distance ?? Int.max) || (distance == best?.distance && name < (best?.name ?? "")) {
                best = (name, distance)
            }
        }
        guard let best, best.distance <= max(1, min(3, wanted.count / 3)) else { return nil }
        return best.name
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...max(a.count, 1) where i <= a.count {
            current[0] = i
            for j in 1...max(b.count, 1) where j <= b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Lets the first reply through; later ones are reported as duplicates.
private final class ReplyOnce {
    private var replied = false

    func claim() -> Bool {
        if replied { return false }
        replied = true
        return true
    }
}

/// A reply on its way out: its result as a tree, or as JSON text that is copied as it is.
struct OutgoingResponse {
    enum Body {
        case value(JSONValue)
        case text(RawJSON)
    }

    var id: RequestID
    var result: Result<Body, RPCError>

    init(id: RequestID, result: Result<Body, RPCError>) {
        self.id = id
        self.result = result
    }

    init(id: RequestID, error: RPCError) {
        self.init(id: id, result: .failure(error))
    }

    var response: Response {
        Response(id: id, result: result.map { body in
            switch body {
            case .value(let value): return value
            case .text(let raw): return raw.value
            }
        })
    }

    func encode(into out: inout [UInt8]) {
        switch result {
        case .success(.value(let value)): Response(id: id, result: .success(value)).encode(into: &out)
        case .success(.text(let raw)): RawResponse(id: id, result: .success(raw)).encode(into: &out)
        case .failure(let error): Response(id: id, error: error).encode(into: &out)
        }
    }

    func encoded() -> [UInt8] {
        var out: [UInt8] = []
        // Room for the envelope and a frame's newline: the text is copied in once, never regrown.
        if case .success(.text(let raw)) = result {
            out.reserveCapacity(raw.bytes.count + 64)
        } else {
            out.reserveCapacity(64)
        }
        encode(into: &out)
        return out
    }
}

/// Collects a batch's replies in request order and sends them together when the last arrives.
private final class BatchCollector {
    private var slots: [OutgoingResponse?]
    private var pending: Int
    private let respond: (consuming [UInt8]) -> Void

    init(count: Int, respond: @escaping (consuming [UInt8]) -> Void) {
        slots = Array(repeating: nil, count: count)
        pending = count
        self.respond = respond
    }

    func complete(_ index: Int, with response: OutgoingResponse?) {
        slots[index] = response
        pending -= 1
        guard pending == 0 else { return }
        let responses = slots.compactMap { $0 }
        slots = []
        guard !responses.isEmpty else { return }
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, response) in responses.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            response.encode(into: &out)
        }
        out.append(UInt8(ascii: "]"))
        respond(out)
    }
}

/// A request as it reached `dispatchOutgoing`: params as a tree (a batch element, `dispatch`)
/// or as text (a single request read by `Message.parseRequest`); each handler gets its kind.
/// Outside the generic class: a nested type would need its generic metadata looked up per request.
private enum Incoming {
    case tree(Request)
    case text(RawRequest)

    var id: RequestID? {
        switch self {
        case .tree(let request): return request.id
        case .text(let request): return request.id
        }
    }

    var method: String {
        switch self {
        case .tree(let request): return request.method
        case .text(let request): return request.method
        }
    }

    var tree: Request {
        switch self {
        case .tree(let request): return request
        case .text(let request): return request.request
        }
    }

    var text: RawRequest {
        switch self {
        case .tree(let request): return RawRequest(request)
        case .text(let request): return request
        }
    }
}
