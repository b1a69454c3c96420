import JSONRPC
import Sandbox

/// `daemon.info`: what this daemon is and can do, so a client can adapt without guessing.
public enum DaemonInfo: RPCMethod {
    public static let name = "daemon.info"

    /// No parameters: absent or `{}`.
    public typealias Params = NoParams

    public struct Capabilities: Codable, Sendable, Equatable {
        /// Framings a connection may choose by its first byte: "ndjson" and "header".
        public var framings: [String]
        /// Whether binary attachment frames are supported (header framing only).
        public var attachments: Bool
        public var maxFrameBytes: Int
        /// Every method this daemon answers, sorted.
        public var methods: [String]

        public init(framings: [String], attachments: Bool, maxFrameBytes: Int, methods: [String]) {
            self.framings = framings
            self.attachments = attachments
            self.maxFrameBytes = maxFrameBytes
            self.methods = methods
        }

        enum CodingKeys: String, CodingKey {
            case framings, attachments, methods
            case maxFrameBytes = "max_frame_bytes"
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var protocolVersion: String
        public var capabilities: Capabilities
        public var uptimeS: Double
        public var connections: Int
        public var pid: Int
        /// Instances in the pool (any state but dead) and open sessions.
        public var instances: Int
        public var sessions: Int
        /// The sandbox spawned instances get, as planned on this machine: the tier and every layer
        /// (applied, or why not). Each instance's own report is in `instance.list`. nil: unsandboxed.
        public var sandbox: SandboxReport?
        /// Where sessions, journals and checkpoints are kept.
        public var stateDir: String?

        public init(
            name: String = "blenderd", version: String, protocolVersion: String,
            capabilities: Capabilities, uptimeS: Double, connections: Int, pid: Int,
            instances: Int = 0, sessions: Int = 0, sandbox: SandboxReport? = nil, stateDir: String? = nil
        ) {
            self.name = name
            self.version = version
            self.protocolVersion = protocolVersion
            self.capabilities = capabilities
            self.uptimeS = uptimeS
            self.connections = connections
            self.pid = pid
            self.instances = instances
            self.sessions = sessions
            self.sandbox = sandbox
            self.stateDir = stateDir
        }

        enum CodingKeys: String, CodingKey {
            case name, version, capabilities, connections, pid, instances, sessions, sandbox
            case stateDir = "state_dir"
            case protocolVersion = "protocol_version"
            case uptimeS = "uptime_s"
        }
    }
}
