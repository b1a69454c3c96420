// libFuzzer target over FrameParser + Dispatcher: the code every byte from a client passes through.
//
// Built by run.sh together with Sources/JSONRPC/*.swift as one module (no `import JSONRPC`).
// Input layout: byte 0 picks the limits, the rest is the connection's byte stream. The stream is
// fed whole to one parser and in pseudo-random chunks (seeded from the input) to another, and
// every invariant below traps so libFuzzer records the input:
// - both parsers report identical events (framing is independent of how reads split the stream);
// - no frame is larger than maxFrameBytes, and nothing follows a .fatal;
// - every message is dispatched; `respond` is called at most once per body, and every reply is
//   valid JSON made of well-formed responses (jsonrpc "2.0", an id, exactly one of result/error);
// - any body that parses re-serializes deterministically to a value equal to itself;
// - the dictionary-free envelope parsing of Message.parse(body:) agrees with JSON.parse followed
//   by Message.classify;
// - validating without a tree (RawJSON) accepts exactly what JSON.parse accepts, and the
//   response and request fast paths (Message.parseResponse, Message.parseRequest) agree with
//   Message.parse whenever they answer and answer for every single valid response or request;
// - forwarded results (JSON text sent as it is) make well-formed replies too.

private struct SumParams: Codable, Sendable {
    var a: Int
    var b: Int?
    var tags: [String]?
}

private enum Sum: RPCMethod {
    static let name = "sum"
    typealias Params = SumParams
    typealias Result = Int
}

/// Replies held back until the end of the input, to exercise asynchronous batches.
private final class Deferred {
    var replies: [(Result<JSONValue, RPCError>) -> Void] = []
}

private func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

private func makeDispatcher(maxDepth: Int) -> Dispatcher<Deferred> {
    let dispatcher = Dispatcher<Deferred>(maxDepth: maxDepth)
    dispatcher.register("echo") { request, _, reply in reply(.success(request.params ?? .null)) }
    dispatcher.register(Sum.self) { params, _, reply in
        let (total, overflow) = params.a.addingReportingOverflow(params.b ?? 0)
        reply(overflow ? .failure(RPCError(code: .invalidParams, message: "overflow")) : .success(total))
    }
    dispatcher.register("later") { _, deferred, reply in deferred.replies.append(reply) }
    dispatcher.register("twice") { _, _, reply in
        reply(.success(1))
        reply(.success(2))  // must be dropped
    }
    dispatcher.register("fail") { request, _, reply in
        reply(.failure(RPCError(code: .scriptError, message: "boom", data: request.params)))
    }
    dispatcher.registerForwarding("forward") { request, _, reply in
        // The params' text, as a worker's result would arrive.
        reply(.success(RawJSON(request.params ?? .null)))
    }
    dispatcher.registerForwarding("forward.text", paramsText: { request, _, reply in
        // The params' text as it arrived (kept as text when the body was a single request).
        reply(.success(request.params ?? RawJSON(.null)))
    })
    dispatcher.onDuplicateReply = { _ in }
    return dispatcher
}

private func checkResponseObject(_ value: JSONValue) {
    guard case .object(let members) = value else { return check(false, "reply element is not an object: \(value)") }
    check(members["jsonrpc"] == .string("2.0"), "reply without jsonrpc 2.0: \(value)")
    check(members["id"].flatMap(RequestID.init(json:)) != nil, "reply without a valid id: \(value)")
    check((members["result"] == nil) != (members["error"] == nil), "reply needs exactly one of result/error: \(value)")
    if let error = members["error"] {
        check(RPCError(json: error) != nil, "malformed error object: \(value)")
    }
    check(members.count == 3, "unexpected reply members: \(value)")
}

private func checkReply(_ bytes: [UInt8]) {
    let value: JSONValue
    do {
        value = try JSON.parse(bytes, maxDepth: JSON.maxSupportedDepth)
    } catch {
        return check(false, "reply is not JSON (\(error)): \(String(decoding: bytes, as: UTF8.self))")
    }
    check(!bytes.contains(0x0A), "reply contains a raw newline")
    if case .array(let elements) = value {
        check(!elements.isEmpty, "empty batch reply")
        elements.forEach(checkResponseObject)
    } else {
        checkResponseObject(value)
    }
}

private func checkEnvelopeParsing(_ body: [UInt8], maxDepth: Int) {
    let fast = Result { () throws(InvalidMessage) -> ParsedBody in try Message.parse(body: body, maxDepth: maxDepth) }
    let generic = Result { () throws(InvalidMessage) -> ParsedBody in
        let value: JSONValue
        do throws(JSONParseError) {
            value = try JSON.parse(body, maxDepth: maxDepth)
        } catch {
            throw InvalidMessage(parseFailure: error)
        }
        return try Message.classify(value)
    }
    check(fast == generic, "Message.parse(body:) disagrees with JSON.parse + Message.classify")
}

private func checkValidation(_ body: [UInt8], maxDepth: Int) {
    let tree = try? JSON.parse(body, maxDepth: maxDepth)
    let raw = try? RawJSON(validating: body, maxDepth: maxDepth)
    check((tree != nil) == (raw != nil), "RawJSON validation disagrees with JSON.parse")
    if let tree, let raw {
        check(raw.value == tree, "RawJSON holds another value")
        check(!raw.bytes.contains(0x0A) && !raw.bytes.contains(0x0D), "RawJSON kept a raw line break")
    }
    let fast = Message.parseResponse(body: body, maxDepth: maxDepth)
    if case .single(.success(.response(let response)))? = try? Message.parse(body: body, maxDepth: maxDepth) {
        check(fast?.response == response, "Message.parseResponse disagrees with Message.parse")
    } else {
        check(fast == nil, "Message.parseResponse accepted what Message.parse does not read as a response")
    }
    let request = Message.parseRequest(body: body, maxDepth: maxDepth)
    if case .single(.success(.request(let parsed)))? = try? Message.parse(body: body, maxDepth: maxDepth) {
        check(request?.request == parsed, "Message.parseRequest disagrees with Message.parse")
    } else {
        check(request == nil, "Message.parseRequest accepted what Message.parse does not read as a request")
    }
}

private func checkRoundTrip(_ body: [UInt8], maxDepth: Int) {
    guard let value = try? JSON.parse(body, maxDepth: maxDepth) else { return }
    let encoded = JSON.encode(value)
    guard let again = try? JSON.parse(encoded, maxDepth: maxDepth) else {
        return check(false, "serializer output does not parse: \(String(decoding: encoded, as: UTF8.self))")
    }
    check(again == value, "round trip changed the value")
    check(JSON.encode(again) == encoded, "serialization is not deterministic")
}

/// SplitMix64, seeded from the input, for chunk sizes.
private struct Chunker {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private func run(_ input: UnsafeBufferPointer<UInt8>) {
    guard let config = input.first else { return }
    let stream = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(input)[1...])
    let limits: FrameLimits
    switch config & 3 {
    case 0: limits = FrameLimits(maxFrameBytes: 48, maxHeaderBytes: 40, maxDepth: 6)
    case 1: limits = FrameLimits(maxFrameBytes: 256, maxHeaderBytes: 128, maxDepth: 16)
    case 2: limits = FrameLimits(maxFrameBytes: 4096, maxHeaderBytes: 512, maxDepth: 64)
    default: limits = FrameLimits(maxFrameBytes: 1 << 20, maxHeaderBytes: 8 << 10, maxDepth: 128)
    }
    let preset: Framing? = config & 0x0C == 0x04 ? .newlineDelimited : config & 0x0C == 0x08 ? .header : nil

    var whole = FrameParser(limits: limits, framing: preset)
    let reference = whole.feed(stream) + whole.finish()

    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in input { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    var chunker = Chunker(state: hash)
    var chunked = FrameParser(limits: limits, framing: preset)
    var events: [FrameEvent] = []
    var position = 0
    while position < stream.count {
        // Mostly small reads, sometimes single bytes, sometimes large.
        let roll = chunker.next()
        let size = roll % 8 == 0 ? 1 : roll % 8 == 1 ? Int((roll >> 8) % 4096) + 1 : Int((roll >> 8) % 32) + 1
        let end = min(stream.count, position + size)
        events += chunked.feed(UnsafeRawBufferPointer(rebasing: stream[position..<end]))
        position = end
    }
    events += chunked.finish()
    check(events == reference, "chunked parse differs from whole parse")

    let dispatcher = makeDispatcher(maxDepth: limits.maxDepth)
    let deferred = Deferred()
    var outstanding: [Int] = []  // respond calls per body
    for (index, event) in reference.enumerated() {
        switch event {
        case .message(let body), .attachment(_, let body):
            check(body.count <= limits.maxFrameBytes, "frame over the limit delivered")
            guard case .message = event else { continue }
            checkRoundTrip(body, maxDepth: limits.maxDepth)
            checkEnvelopeParsing(body, maxDepth: limits.maxDepth)
            checkValidation(body, maxDepth: limits.maxDepth)
            let slot = outstanding.count
            outstanding.append(0)
            dispatcher.handle(body: body, context: deferred) { reply in
                outstanding[slot] += 1
                check(outstanding[slot] == 1, "respond called twice for one body")
                checkReply(reply)
            }
        case .oversized(let declared, let limit):
            check(limit == limits.maxFrameBytes, "wrong limit reported")
            if let declared { check(declared > limit, "oversized frame within the limit") }
        case .fatal:
            check(index == reference.count - 1, "events after .fatal")
        }
    }
    // Release the deferred replies (some twice) and let batches complete.
    let replies = deferred.replies
    for (index, reply) in replies.enumerated() {
        reply(.success(.number(JSONNumber(index))))
        if index % 3 == 0 { reply(.success(nil)) }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFramingAndDispatch(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
