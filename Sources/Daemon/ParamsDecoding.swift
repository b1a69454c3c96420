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
