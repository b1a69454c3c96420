// Responses whose result stays JSON text (RawJSON.swift): what the daemon reads from a worker and
// what it sends a client for a forwarded call.

/// A reply with its result kept as bytes.
public struct RawResponse: Hashable, Sendable {
    public var id: RequestID
    public var result: Result<RawJSON, RPCError>

    public init(id: RequestID, result: Result<RawJSON, RPCError>) {
        self.id = id
        self.result = result
    }

    /// The same reply with its result serialised.
    public init(_ response: Response) {
        self.init(id: response.id, result: response.result.map(RawJSON.init))
    }

    /// The same reply with its result parsed.
    public var response: Response {
        Response(id: id, result: result.map(\.value))
    }

    /// Compact JSON, as `Response.encoded()` (the result's bytes as they are).
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch result {
        case .success(let raw):
            out.reserveCapacity(out.count + raw.bytes.count + 48)
            JSONSerializer.appendASCII("{\"id\":", to: &out)
            JSONSerializer.write(id.json, into: &out)
            JSONSerializer.appendASCII(",\"jsonrpc\":\"2.0\",\"result\":", to: &out)
            out.append(contentsOf: raw.bytes)
            out.append(UInt8(ascii: "}"))
        case .failure(let error):
            Response(id: id, error: error).encode(into: &out)
        }
    }
}

extension Message {
    /// Reads a body that is a single, valid response, keeping its result as bytes: the whole body
    /// is validated as JSON but only the envelope is built. nil for anything else — a request, a
    /// notification, a batch, an invalid message or invalid JSON — which `parse(body:maxDepth:)`
    /// then classifies (and explains) exactly as it always does.
    public static func parseResponse(body: [UInt8], maxDepth: Int = JSON.defaultMaxDepth) -> RawResponse? {
        body.withUnsafeBufferPointer { buffer -> RawResponse? in
            var parser = JSONParser(bytes: buffer, maxDepth: maxDepth)
            guard let ranges = try? parser.scanEnvelope(),
                  ranges.method == nil,
                  let idRange = ranges.id,
                  let jsonrpcRange = ranges.jsonrpc,
                  (ranges.result == nil) != (ranges.error == nil)
            else { return nil }
            func value(_ range: Range<Int>) -> JSONValue? { envelopeMember(buffer, range, maxDepth: maxDepth) }
            guard holdsVersion(buffer, jsonrpcRange, maxDepth: maxDepth),
                  let idValue = value(idRange), let id = RequestID(json: idValue)
            else { return nil }
            if let resultRange = ranges.result {
                return RawResponse(id: id, result: .success(RawJSON(validatedSlice: body[resultRange])))
            }
            guard let errorRange = ranges.error, let errorValue = value(errorRange),
                  let error = RPCError(json: errorValue)
            else { return nil }
            return RawResponse(id: id, result: .failure(error))
        }
    }

    /// Whether the validated `jsonrpc` literal at `range` is "2.0": nearly always a plain string,
    /// compared as bytes; any other spelling (escapes) is parsed.
    static func holdsVersion(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, maxDepth: Int) -> Bool {
        plainString(buffer, range) == version || envelopeMember(buffer, range, maxDepth: maxDepth) == .string(version)
    }

    /// The string a validated literal at `range` holds, when it is plain ASCII without escapes.
    static func plainString(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        guard range.count >= 2, let base = buffer.baseAddress, base[range.lowerBound] == UInt8(ascii: "\""),
              ByteScan.firstNonPlain(base, from: range.lowerBound + 1, to: range.upperBound) == range.upperBound - 1
        else { return nil }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[(range.lowerBound + 1)..<(range.upperBound - 1)]), as: UTF8.self)
    }

    /// A small envelope member (jsonrpc, id, method, error) of a body `scanEnvelope` validated,
    /// as a tree.
    static func envelopeMember(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, maxDepth: Int) -> JSONValue? {
        var member = JSONParser(bytes: UnsafeBufferPointer(rebasing: buffer[range]), maxDepth: maxDepth)
        return try? member.parseDocument()
    }
}
