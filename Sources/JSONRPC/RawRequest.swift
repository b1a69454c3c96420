// Requests whose params stay JSON text (RawJSON.swift): how the daemon reads every single
// request, so that a `script.exec`'s code reaches the worker as the client wrote it.
//
// Parsing the params into a `JSONValue` tree and serialising them again for the worker decoded and
// re-escaped the whole script and built two dictionaries per call (callgrind: about a third of the
// daemon's instructions on a forwarded exec's request path). The params are validated instead,
// like a worker's result in RawResponse.swift, and parsed only by handlers that want a tree.

/// A request with its params kept as bytes.
public struct RawRequest: Hashable, Sendable {
    public var id: RequestID?
    public var method: String
    /// By-name (object) or positional (array) parameters as JSON text; nil when the message had none.
    public var params: RawJSON?

    public init(id: RequestID?, method: String, params: RawJSON?) {
        self.id = id
        self.method = method
        self.params = params
    }

    /// The same request with its params serialised.
    public init(_ request: Request) {
        self.init(id: request.id, method: request.method, params: request.params.map(RawJSON.init))
    }

    /// The same request with its params parsed.
    public var request: Request {
        Request(id: id, method: method, params: params?.value)
    }

    /// Compact JSON, as `Request.encoded()` but with the params' bytes as they are.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((params?.bytes.count ?? 0) + method.utf8.count + 48)
        Request.encode(id: id, method: method, into: &out, params: params.map { params in { $0.append(contentsOf: params.bytes) } })
        return out
    }
}

extension Message {
    /// Reads a body that is a single, valid request or notification, keeping its params as bytes:
    /// the whole body is validated as JSON but only the envelope is built. nil for anything else —
    /// a response, a batch, an invalid message or invalid JSON — which `parse(body:maxDepth:)` then
    /// classifies (and explains) exactly as it always does. Whenever this answers, the answer is
    /// what `parse` reads (a differential test and the fuzzer hold it to that).
    public static func parseRequest(body: [UInt8], maxDepth: Int = JSON.defaultMaxDepth) -> RawRequest? {
        body.withUnsafeBufferPointer { buffer -> RawRequest? in
            var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
            guard let ranges = try? parser.scanEnvelope(),
                  let methodRange = ranges.method,
                  let jsonrpcRange = ranges.jsonrpc
            else { return nil }
            func value(_ range: Range<Int>) -> JSONValue? { envelopeMember(buffer, range, maxDepth: maxDepth) }
            var id: RequestID?
            if let idRange = ranges.id {
                guard let idValue = value(idRange), let valid = RequestID(json: idValue) else { return nil }
                id = valid
            }
            // jsonrpc and method are nearly always plain strings: compared and copied as bytes.
            guard holdsVersion(buffer, jsonrpcRange, maxDepth: maxDepth) else { return nil }
            let method: String
            if let plain = plainString(buffer, methodRange) {
                method = plain
            } else {
                guard case .string(let decoded)? = value(methodRange) else { return nil }
                method = decoded
            }
            var params: RawJSON?
            if let paramsRange = ranges.params {
                // By name or by position; any other type is an invalid request `parse` explains.
                let first = buffer[paramsRange.lowerBound]
                guard first == UInt8(ascii: "{") || first == UInt8(ascii: "[") else { return nil }
                params = RawJSON(validatedSlice: body[paramsRange])
            }
            return RawRequest(id: id, method: method, params: params)
        }
    }
}
