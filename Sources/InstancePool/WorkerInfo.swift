// What a worker tells about itself: the params of `worker.ready` (spawned) or `worker.attach`
// (GUI), protocol/worker.md "Lifecycle". Decoded leniently where the protocol allows optional
// members, strictly where the pool relies on a value (protocol, blender.version).

import JSONRPC

public struct WorkerInfo: Codable, Sendable, Equatable {
    public struct Blender: Codable, Sendable, Equatable {
        public var version: BlenderVersion
        public var versionTuple: [Int]?
        public var versionString: String?
        public var buildHash: String?

        public init(version: BlenderVersion, versionTuple: [Int]? = nil, versionString: String? = nil, buildHash: String? = nil) {
            self.version = version
            self.versionTuple = versionTuple
            self.versionString = versionString
            self.buildHash = buildHash
        }

        enum CodingKeys: String, CodingKey {
            case version, versionTuple = "version_tuple", versionString = "version_string", buildHash = "build_hash"
        }
    }

    /// A Cycles compute device as Blender lists it.
    public struct Device: Codable, Sendable, Equatable, Hashable {
        public var type: String
        public var name: String
        public var id: String

        public init(type: String, name: String, id: String) {
            self.type = type
            self.name = name
            self.id = id
        }
    }

    /// The device the worker enabled for Cycles after `BLENDERD_GPU_INDEX` pinned it.
    public struct SelectedGPU: Codable, Sendable, Equatable {
        public var index: Int
        public var type: String
        public var name: String?
        public var id: String?

        public init(index: Int, type: String, name: String? = nil, id: String? = nil) {
            self.index = index
            self.type = type
            self.name = name
            self.id = id
        }
    }

    public var `protocol`: Int
    public var kind: LauncherKind
    public var headless: Bool
    public var pid: Int32
    public var blender: Blender
    public var python: String?
    public var engines: [String]
    public var devices: [Device]
    public var startupMilliseconds: Int?
    /// Present when the worker was pinned to a GPU and enabled it.
    public var gpu: SelectedGPU?
    /// The layers the worker applied to itself (Landlock, the audit hook), when it was given
    /// `--sandbox`.
    public var sandbox: SandboxLayers?

    /// worker.ready's `sandbox`: layer names are strings here, so a newer worker's extra layer
    /// does not make the whole ready message undecodable.
    public struct SandboxLayers: Codable, Sendable, Equatable {
        public struct Layer: Codable, Sendable, Equatable {
            public var name: String
            public var status: String
            public var detail: String?
            public var reason: String?
        }

        public var tier: String?
        public var layers: [Layer]
    }

    public init(protocol: Int = WorkerInfo.supportedProtocol, kind: LauncherKind, headless: Bool, pid: Int32,
                blender: Blender, python: String? = nil, engines: [String] = [], devices: [Device] = [],
                startupMilliseconds: Int? = nil, gpu: SelectedGPU? = nil) {
        self.protocol = `protocol`
        self.kind = kind
        self.headless = headless
        self.pid = pid
        self.blender = blender
        self.python = python
        self.engines = engines
        self.devices = devices
        self.startupMilliseconds = startupMilliseconds
        self.gpu = gpu
    }

    /// The worker protocol version this pool speaks (protocol/worker.md).
    public static let supportedProtocol = 1

    enum CodingKeys: String, CodingKey {
        case `protocol`, kind, headless, pid, blender, python, engines, devices
        case startupMilliseconds = "startup_ms", gpu, sandbox
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.protocol = try container.decode(Int.self, forKey: .protocol)
        kind = try container.decode(LauncherKind.self, forKey: .kind)
        headless = try container.decodeIfPresent(Bool.self, forKey: .headless) ?? true
        pid = try container.decodeIfPresent(Int32.self, forKey: .pid) ?? 0
        blender = try container.decode(Blender.self, forKey: .blender)
        python = try container.decodeIfPresent(String.self, forKey: .python)
        engines = try container.decodeIfPresent([String].self, forKey: .engines) ?? []
        devices = try container.decodeIfPresent([Device].self, forKey: .devices) ?? []
        startupMilliseconds = try container.decodeIfPresent(Int.self, forKey: .startupMilliseconds)
        gpu = try container.decodeIfPresent(SelectedGPU.self, forKey: .gpu)
        sandbox = try container.decodeIfPresent(SandboxLayers.self, forKey: .sandbox)
    }

    /// Decodes `worker.ready` / `worker.attach` params; the error names the offending member.
    public static func decode(_ params: JSONValue?) throws(JSONDecodingError) -> WorkerInfo {
        try JSONValueDecoder().decode(WorkerInfo.self, from: params ?? .null)
    }
}
