import BlenderdProtocol
import JSONRPC

// Hand-written params decoding for the methods on the hot path (JSONValueDecodable.swift says
// why). Each must decode exactly as the type's Codable conformance does, errors included:
// DaemonTests/ParamsDecodingTests compares them on valid and invalid params.

extension ScriptExec.Params: JSONValueDecodable {
    public init(jsonValue: JSONValue) throws(JSONDecodingError) {
        let reader = try JSONObjectReader(jsonValue, keys: ["session", "code", "timeout_s", "capture_limit"])
        self.init(session: try reader.string("session"), code: try reader.string("code"),
                  timeoutS: try reader.doubleIfPresent("timeout_s"), captureLimit: try reader.intIfPresent("capture_limit"))
    }
}

/// script.exec's params as the daemon forwards them: the code stays the client's JSON text
/// (RawRequest.swift says why) and goes to the worker as it is; the other members are decoded
/// exactly as `ScriptExec.Params` decodes them, errors included.
struct ForwardedExecParams {
    let session: String
    /// A JSON string: the script.
    let code: RawJSON
    let timeoutS: Double?
    let captureLimit: Int?

    static func decode(_ text: RawJSON?) -> Result<ForwardedExecParams, RPCError> {
        if let text, let members = text.objectMembers() {
            var session: JSONValue?
            var code: RawJSON?
            var others: [String: JSONValue] = [:]
            for (key, value) in members {
                switch key {
                case "session": session = value.value
                case "code" where value.isString: code = value
                default: others[key] = value.value
                }
            }
            // The usual params: a session and a code, both strings, nothing else.
            if others.isEmpty, let session = session?.stringValue, let code {
                return .success(ForwardedExecParams(session: session, code: code, timeoutS: nil, captureLimit: nil))
            }
            // More members, or a session that is not a string: decoded as ScriptExec.Params with
            // the code standing in as "", which passes the same type check as the real string.
            if let code {
                others["code"] = ""
                others["session"] = session
                do throws(JSONDecodingError) {
                    let params = try ScriptExec.Params(jsonValue: .object(others))
                    return .success(ForwardedExecParams(session: params.session, code: code,
                                                        timeoutS: params.timeoutS, captureLimit: params.captureLimit))
                } catch {
                    return .failure(.invalidParams(decoding: error))
                }
            }
        }
        // Anything else (no params, positional params, no code or not a string) gets the typed
        // decoder's own error.
        return Dispatcher<ClientConnection>.decodeParams(ScriptExec.Params.self, from: text?.value).map { params in
            ForwardedExecParams(session: params.session, code: RawJSON(.string(params.code)),
                                timeoutS: params.timeoutS, captureLimit: params.captureLimit)
        }
    }
}
