import JSONRPC

/// `worker.attach`: a GUI Blender with the add-on joins the pool (protocol/worker.md). Params are
/// the `worker.ready` fields plus `token`, the content of `attach.token` in the daemon's 0700
/// socket directory; they are validated by the pool, so they pass through as JSON here.
public enum WorkerAttach: RPCMethod {
    public static let name = "worker.attach"
    public typealias Params = JSONValue

    public struct Result: Codable, Sendable, Equatable {
        public var instance: String
        public init(instance: String) { self.instance = instance }
    }
}
