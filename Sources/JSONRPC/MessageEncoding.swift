// Messages to bytes, written directly rather than via a JSONValue envelope: replies are produced
// for every request on the hot path, and building a dictionary just to sort four keys is waste.
// Members are written in sorted key order, so the bytes equal `JSON.encode(message.json)`.

extension Request {
    /// Compact JSON: `{"id":…,"jsonrpc":"2.0","method":…,"params":…}`.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        Self.encode(id: id, method: method, into: &out, params: params.map { params in { JSONSerializer.write(params, into: &$0) } })
    }

    /// The request envelope, the params written by `params` (a tree here, text in RawRequest).
    static func encode(id: RequestID?, method: String, into out: inout [UInt8], params: ((inout [UInt8]) -> Void)?) {
        out.append(UInt8(ascii: "{"))
        if let id {
            JSONSerializer.appendASCII("\"id\":", to: &out)
            JSONSerializer.write(id.json, into: &out)
            out.append(UInt8(ascii: ","))
        }
        JSONSerializer.appendASCII("\"jsonrpc\":\"2.0\",\"method\":", to: &out)
        JSONSerializer.writeString(method, into: &out)
        if let params {
            JSONSerializer.appendASCII(",\"params\":", to: &out)
            params(&out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A batch: `[request,…]`.
    public static func encode(batch: [Request]) -> [UInt8] {
        encodeArray(batch) { $0.encode(into: &$1) }
    }
}

extension Response {
    /// Compact JSON: `{"id":…,"jsonrpc":"2.0","result":…}` or `{"error":{…},"id":…,"jsonrpc":"2.0"}`.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch result {
        case .success(let value):
            JSONSerializer.appendASCII("{\"id\":", to: &out)
            JSONSerializer.write(id.json, into: &out)
            JSONSerializer.appendASCII(",\"jsonrpc\":\"2.0\",\"result\":", to: &out)
            JSONSerializer.write(value, into: &out)
            out.append(UInt8(ascii: "}"))
        case .failure(let error):
            JSONSerializer.appendASCII("{\"error\":{\"code\":", to: &out)
            JSONSerializer.writeInt(error.code.rawValue, into: &out)
            if let data = error.data {
                JSONSerializer.appendASCII(",\"data\":", to: &out)
                JSONSerializer.write(data, into: &out)
            }
            JSONSerializer.appendASCII(",\"message\":", to: &out)
            JSONSerializer.writeString(error.message, into: &out)
            JSONSerializer.appendASCII("},\"id\":", to: &out)
            JSONSerializer.write(id.json, into: &out)
            JSONSerializer.appendASCII(",\"jsonrpc\":\"2.0\"}", to: &out)
        }
    }

    /// A batch reply: `[response,…]`.
    public static func encode(batch: [Response]) -> [UInt8] {
        encodeArray(batch) { $0.encode(into: &$1) }
    }
}

extension Message {
    public func encoded() -> [UInt8] {
        switch self {
        case .request(let request): return request.encoded()
        case .response(let response): return response.encoded()
        }
    }

    /// A mixed batch (a peer that is client and server at once may send one).
    public static func encode(batch: [Message]) -> [UInt8] {
        encodeArray(batch) { message, out in
            switch message {
            case .request(let request): request.encode(into: &out)
            case .response(let response): response.encode(into: &out)
            }
        }
    }
}

private func encodeArray<T>(_ items: [T], _ encodeOne: (T, inout [UInt8]) -> Void) -> [UInt8] {
    var out: [UInt8] = [UInt8(ascii: "[")]
    for (index, item) in items.enumerated() {
        if index > 0 { out.append(UInt8(ascii: ",")) }
        encodeOne(item, &out)
    }
    out.append(UInt8(ascii: "]"))
    return out
}
