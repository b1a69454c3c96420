import JSONRPC

/// One saved state of a session's scene: an uncompressed `.blend` in the session's directory.
public struct CheckpointInfo: Codable, Sendable, Equatable {
    /// "c1", "c2", … in the order they were taken (per session).
    public var id: String
    public var label: String?
    public var bytes: Int
    /// RFC 3339, UTC.
    public var createdAt: String
    /// Taken automatically after a successful script.exec (policy auto), not asked for.
    public var auto: Bool
    /// The session's exec count when it was taken.
    public var exec: Int
    /// Worker-side save time.
    public var durationMs: Double?

    public init(id: String, label: String?, bytes: Int, createdAt: String, auto: Bool, exec: Int, durationMs: Double?) {
        self.id = id
        self.label = label
        self.bytes = bytes
        self.createdAt = createdAt
        self.auto = auto
        self.exec = exec
        self.durationMs = durationMs
    }

    enum CodingKeys: String, CodingKey {
        case id, label, bytes, auto, exec
        case createdAt = "created_at"
        case durationMs = "duration_ms"
    }
}

/// `scene.checkpoint`: save the session's scene now (a label keeps it out of retention pruning).
public enum SceneCheckpoint: RPCMethod {
    public static let name = "scene.checkpoint"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        public var label: String?
        public init(session: String, label: String? = nil) {
            self.session = session
            self.label = label
        }
    }

    public typealias Result = CheckpointInfo
}

/// `scene.checkpoints`: the session's checkpoints, oldest first, and the one its scene is at.
public enum SceneCheckpoints: RPCMethod {
    public static let name = "scene.checkpoints"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        public init(session: String) { self.session = session }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var checkpoints: [CheckpointInfo]
        /// The checkpoint the scene was last saved to or restored from; recovery loads it.
        public var current: String?
        /// auto or manual.
        public var policy: String
        /// Unlabelled checkpoints kept (older ones are deleted); labelled ones are always kept.
        public var keep: Int

        public init(checkpoints: [CheckpointInfo], current: String?, policy: String, keep: Int) {
            self.checkpoints = checkpoints
            self.current = current
            self.policy = policy
            self.keep = keep
        }
    }
}

/// `scene.restore`: roll the session's scene back to a checkpoint.
public enum SceneRestore: RPCMethod {
    public static let name = "scene.restore"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        public var checkpoint: String
        public init(session: String, checkpoint: String) {
            self.session = session
            self.checkpoint = checkpoint
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var checkpoint: String
        public var objects: Int?
        public var durationMs: Double

        public init(checkpoint: String, objects: Int?, durationMs: Double) {
            self.checkpoint = checkpoint
            self.objects = objects
            self.durationMs = durationMs
        }

        enum CodingKeys: String, CodingKey {
            case checkpoint, objects
            case durationMs = "duration_ms"
        }
    }
}

/// `scene.load`: replace the session's scene with a `.blend`, given as a path the daemon can read
/// or inline as base64. Scripts embedded in the file never run.
public enum SceneLoad: RPCMethod {
    public static let name = "scene.load"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        /// An absolute path on the daemon's machine.
        public var path: String?
        /// The file's bytes, base64.
        public var data: String?

        public init(session: String, path: String? = nil, data: String? = nil) {
            self.session = session
            self.path = path
            self.data = data
        }
    }

    /// The worker's `{objects, duration_ms, scripts_blocked}` plus `checkpoint` (policy auto).
    public typealias Result = JSONValue
}

/// `request.cancel`: cancel a request of this connection that is still running. The cancelled
/// request is answered `-32006`; this call says how far the escalation went to stop it.
public enum RequestCancel: RPCMethod {
    public static let name = "request.cancel"

    public struct Params: Codable, Sendable, Equatable {
        public var id: RequestID
        public init(id: RequestID) { self.id = id }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var cancelled: Bool
        /// queued (never started), interrupt (SIGINT sent to the script; SIGTERM then SIGKILL
        /// follow if it does not stop within the grace period).
        public var stage: String

        public init(cancelled: Bool, stage: String) {
            self.cancelled = cancelled
            self.stage = stage
        }
    }
}
