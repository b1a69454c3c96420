// JSON-RPC 2.0 messages and the validation that decides what a received JSON value is.
//
// The rules (JSON-RPC 2.0 §4-§6) are enforced here once, so the dispatcher and a client read the
// same way: `"jsonrpc":"2.0"` is required, `method` must be a string, `params` an object or array,
// `id` a string, number or null; an object with `result` or `error` and no `method` is a
// response. What is wrong is reported as an `InvalidMessage` carrying the id to answer with.

/// A request, or a notification when `id` is nil. (`id: .null` is a request whose reply has id null.)
public struct Request: Hashable, Sendable {
    public var id: RequestID?
    public var method: String
    /// By-name (object) or positional (array) parameters; nil when the message had none.
    public var params: JSONValue?

    public init(id: RequestID?, method: String, params: JSONValue? = nil) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// A request with no id: the peer never replies to it.
    public static func notification(_ method: String, params: JSONValue? = nil) -> Request {
        Request(id: nil, method: method, params: params)
    }

    /// A request for a typed method, its params encoded with `JSONValueEncoder`.
    public init<M: RPCMethod>(id: RequestID?, _ method: M.Type, params: M.Params) throws {
        self.init(id: id, method: M.name, params: try JSONValueEncoder().encode(params))
    }

    public var isNotification: Bool { id == nil }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": .string(Message.version), "method": .string(method)]
        if let id { members["id"] = id.json }
        if let params { members["params"] = params }
        return .object(members)
    }
}

/// A reply to a request: the id it answers and either a result or an error.
public struct Response: Hashable, Sendable {
    public var id: RequestID
    public var result: Result<JSONValue, RPCError>

    public init(id: RequestID, result: Result<JSONValue, RPCError>) {
        self.id = id
        self.result = result
    }

    public init(id: RequestID, error: RPCError) {
        self.init(id: id, result: .failure(error))
    }

    public var error: RPCError? {
        if case .failure(let error) = result { return error }
        return nil
    }

    public var json: JSONValue {
        var members: [String: JSONValue] = ["jsonrpc": .string(Message.version), "id": id.json]
        switch result {
        case .success(let value): members["result"] = value
        case .failure(let error): members["error"] = error.json
        }
        return .object(members)
    }

    /// The result decoded as `T`; throws the `RPCError` for an error response, or a
    /// `JSONDecodingError` when the result has the wrong shape.
    public func decodedResult<T: Decodable>(_ type: T.Type) throws -> T {
        let value = try result.get()
        return try JSONValueDecoder().decode(type, from: value)
    }
}

/// A message that failed validation, with the id its error reply must carry.
public struct InvalidMessage: Error, Hashable, Sendable {
    /// The message's id when it could be read, otherwise null.
    public var id: RequestID
    public var error: RPCError
    /// False for malformed *responses*: answering them could start an error ping-pong between
    /// two peers, so they are dropped (and may be logged).
    public var shouldReply: Bool

    public init(id: RequestID, error: RPCError, shouldReply: Bool = true) {
        self.id = id
        self.error = error
        self.shouldReply = shouldReply
    }

    /// The error reply to send back.
    public var response: Response { Response(id: id, error: error) }
}

/// One JSON-RPC message.
public enum Message: Hashable, Sendable {
    case request(Request)
    case response(Response)

    /// The value of every message's `jsonrpc` member.
    public static let version = "2.0"

    public var json: JSONValue {
        switch self {
        case .request(let request): return request.json
        case .response(let response): return response.json
        }
    }

    /// Classifies and validates one message object (JSON-RPC 2.0 §4, §5).
    public init(validating json: JSONValue) throws(InvalidMessage) {
        guard case .object(let members) = json else {
            throw Self.notAnObject(json)
        }
        self = try Self.validate(EnvelopeFields(members: members))
    }

    static func notAnObject(_ json: JSONValue) -> InvalidMessage {
        InvalidMessage(id: .null, error: .invalidRequest("not_an_object"))
    }

    static func validate(_ fields: EnvelopeFields) throws(InvalidMessage) -> Message {
        let isResponse = fields.method == nil && (fields.result != nil || fields.error != nil)
        // The id first: every other error is reported with it, if it is usable.
        var id: RequestID?
        if let rawID = fields.id {
            guard let valid = RequestID(json: rawID) else {
                throw InvalidMessage(id: .null,
                                     error: .invalidRequest("invalid_id"),
                                     shouldReply: !isResponse)
            }
            id = valid
        }
        guard fields.jsonrpc == .string(version) else {
            throw InvalidMessage(id: id ?? .null, error: .invalidRequest("invalid_jsonrpc"), shouldReply: !isResponse)
        }
        return isResponse ? .response(try response(fields, id: id)) : .request(try request(fields, id: id))
    }

    private static func request(_ fields: EnvelopeFields, id: RequestID?) throws(InvalidMessage) -> Request {
        guard let rawMethod = fields.method else {
            throw InvalidMessage(id: id ?? .null, error: .invalidRequest("invalid_method"))
        }
        guard case .string(let method) = rawMethod else {
            throw InvalidMessage(id: id ?? .null, error: .invalidRequest("invalid_method"))
        }
        switch fields.params {
        case nil, .object?, .array?:
            break
        case _?:
            throw InvalidMessage(id: id ?? .null, error: .invalidRequest("invalid_params_type"))
        }
        return Request(id: id, method: method, params: fields.params)
    }

    private static func response(_ fields: EnvelopeFields, id: RequestID?) throws(InvalidMessage) -> Response {
        guard let id else {
            throw InvalidMessage(id: .null, error: .invalidRequest("invalid_response"), shouldReply: false)
        }
        switch (fields.result, fields.error) {
        case (let result?, nil):
            return Response(id: id, result: .success(result))
        case (nil, let errorJSON?):
            guard let error = RPCError(json: errorJSON) else {
                throw InvalidMessage(id: id, error: .invalidRequest("invalid_response"),
                                     shouldReply: false)
            }
            return Response(id: id, error: error)
        default:
            throw InvalidMessage(id: id, error: .invalidRequest("invalid_response"), shouldReply: false)
        }
    }
}

extension InvalidMessage {
    /// What a client is told when its body does not parse: `-32700` with the reason, except
    /// too-deep JSON, which is well-formed input we refuse to hold: `-32600 nesting_too_deep`
    /// with the limit (protocol/README.md, Limits). Every path that parses a body uses this.
    public init(parseFailure error: JSONParseError) {
        if case .tooDeep(let limit) = error.reason {
            self.init(id: .null, error: RPCError(
                code: .invalidRequest, data: ["reason": "nesting_too_deep", "limit": .number(JSONNumber(limit))]))
        } else {
            self.init(id: .null, error: .parseError(error.description))
        }
    }
}

/// A received body: one message, or a batch (JSON array) of them, each validated on its own.
public enum ParsedBody: Hashable, Sendable {
    case single(Result<Message, InvalidMessage>)
    /// Never empty: an empty array is rejected as a whole.
    case batch([Result<Message, InvalidMessage>])
}

extension Message {
    /// Parses and validates a body. Throws for what must be answered with a single error: invalid
    /// JSON (-32700, id null; a depth violation too) and an empty batch (-32600, id null).
    public static func parse(body: [UInt8], maxDepth: Int = JSON.defaultMaxDepth) throws(InvalidMessage) -> ParsedBody {
        let parsed: ParsedJSONBody
        do {
            parsed = try JSON.parseBody(body, maxDepth: maxDepth)
        } catch {
            throw InvalidMessage(parseFailure: error)
        }
        switch parsed {
        case .single(let element):
            return .single(validate(element))
        case .batch(let elements):
            guard !elements.isEmpty else {
                throw InvalidMessage(id: .null, error: .invalidRequest("empty_batch"))
            }
            return .batch(elements.map(validate))
        }
    }

    private static func validate(_ element: ParsedJSONBody.Element) -> Result<Message, InvalidMessage> {
        do throws(InvalidMessage) {
            switch element {
            case .envelope(let fields): return .success(try validate(fields))
            case .other(let json): throw notAnObject(json)
            }
        } catch {
            return .failure(error)
        }
    }

    /// `parse(body:)` for an already parsed value.
    public static func classify(_ json: JSONValue) throws(InvalidMessage) -> ParsedBody {
        guard case .array(let elements) = json else {
            return .single(validate(json))
        }
        guard !elements.isEmpty else {
            throw InvalidMessage(id: .null, error: .invalidRequest("empty_batch"))
        }
        return .batch(elements.map(validate))
    }

    private static func validate(_ json: JSONValue) -> Result<Message, InvalidMessage> {
        do throws(InvalidMessage) {
            return .success(try Message(validating: json))
        } catch {
            return .failure(error)
        }
    }
}
