import JSONRPC
import Sandbox

/// One Blender instance as `instance.list` shows it.
public struct InstanceInfo: Codable, Sendable, Equatable {
    public var id: String
    /// starting, ready, busy, recycling, stopping, dead
    public var state: String
    /// executable, module (spawned headless) or gui (attached)
    public var kind: String
    public var headless: Bool
    public var blender: String?
    public var python: String?
    public var engines: [String]
    public var devices: [JSONValue]
    public var gpu: JSONValue?
    public var pid: Int?
    public var rssBytes: Int?
    public var jobs: Int
    /// The session holding the instance, if any.
    public var session: String?
    public var uptimeS: Double
    /// The instance's sandbox: tier and every layer, applied or why not; absent when unsandboxed.
    public var sandbox: SandboxReport?
    /// The only writable directory inside its sandbox (what scripts see as the session directory).
    public var workspace: String?
    /// The CPUs it may run on (blenderd --instance-cpus), ascending; absent: any.
    public var cpus: [Int]?

    public init(
        id: String, state: String, kind: String, headless: Bool, blender: String?, python: String?,
        engines: [String], devices: [JSONValue], gpu: JSONValue?, pid: Int?, rssBytes: Int?, jobs: Int,
        session: String?, uptimeS: Double, sandbox: SandboxReport? = nil, workspace: String? = nil, cpus: [Int]? = nil
    ) {
        self.id = id
        self.state = state
        self.kind = kind
        self.headless = headless
        self.blender = blender
        self.python = python
        self.engines = engines
        self.devices = devices
        self.gpu = gpu
        self.pid = pid
        self.rssBytes = rssBytes
        self.jobs = jobs
        self.session = session
        self.uptimeS = uptimeS
        self.sandbox = sandbox
        self.workspace = workspace
        self.cpus = cpus
    }

    enum CodingKeys: String, CodingKey {
        case id, state, kind, headless, blender, python, engines, devices, gpu, pid, jobs, session, sandbox, workspace, cpus
        case rssBytes = "rss_bytes"
        case uptimeS = "uptime_s"
    }
}

/// `instance.list`: the pool as it is now.
public enum InstanceList: RPCMethod {
    public static let name = "instance.list"
    public typealias Params = NoParams

    public struct Result: Codable, Sendable, Equatable {
        public var instances: [InstanceInfo]
        public init(instances: [InstanceInfo]) { self.instances = instances }
    }
}

/// `instance.spawn`: start one more headless instance (within `--max-instances`).
public enum InstanceSpawn: RPCMethod {
    public static let name = "instance.spawn"

    public struct Params: Codable, Sendable, Equatable {
        /// "executable" or "module"; absent: the first launcher configured.
        public var kind: String?
        public init(kind: String? = nil) { self.kind = kind }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var instance: InstanceInfo
        public init(instance: InstanceInfo) { self.instance = instance }
    }
}

/// `instance.stop`: stop one instance (its session, if any, gets a fresh one on its next call).
public enum InstanceStop: RPCMethod {
    public static let name = "instance.stop"

    public struct Params: Codable, Sendable, Equatable {
        public var instance: String
        public init(instance: String) { self.instance = instance }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var stopped: Bool
        public init(stopped: Bool = true) { self.stopped = stopped }
    }
}
