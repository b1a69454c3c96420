import JSONRPC

/// `script.exec`: run Blender Python in the session's instance. The result (stdout, stderr,
/// value, changes, reports, duration_ms) is the worker's, passed through unchanged; its schema
/// is in protocol/openrpc.json and integration tests check real results against it.
public enum ScriptExec: RPCMethod {
    public static let name = "script.exec"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        public var code: String
        /// Wall-clock limit in seconds; past it the instance is killed and replaced (-32004).
        public var timeoutS: Double?
        /// Bytes of stdout and of stderr kept (default 1 MiB each); the rest is flagged truncated.
        public var captureLimit: Int?

        public init(session: String, code: String, timeoutS: Double? = nil, captureLimit: Int? = nil) {
            self.session = session
            self.code = code
            self.timeoutS = timeoutS
            self.captureLimit = captureLimit
        }

        enum CodingKeys: String, CodingKey {
            case session, code
            case timeoutS = "timeout_s"
            case captureLimit = "capture_limit"
        }
    }

    public typealias Result = JSONValue
}

/// `scene.info`: every object of the session's scene (paged), with transforms, bounds, counts.
public enum SceneInfo: RPCMethod {
    public static let name = "scene.info"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        public var offset: Int?
        public var limit: Int?
        public init(session: String, offset: Int? = nil, limit: Int? = nil) {
            self.session = session
            self.offset = offset
            self.limit = limit
        }
    }

    public typealias Result = JSONValue
}

/// `scene.object`: one object in depth.
public enum SceneObject: RPCMethod {
    public static let name = "scene.object"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        public var name: String
        public init(session: String, name: String) {
            self.session = session
            self.name = name
        }
    }

    public typealias Result = JSONValue
}

/// `api.describe`: live RNA introspection in the session's own Blender version.
public enum APIDescribe: RPCMethod {
    public static let name = "api.describe"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        /// A bpy type ("Object"), an operator ("mesh.primitive_cube_add") or a node type
        /// ("ShaderNodeBsdfPrincipled").
        public var target: String
        public init(session: String, target: String) {
            self.session = session
            self.target = target
        }
    }

    public typealias Result = JSONValue
}
