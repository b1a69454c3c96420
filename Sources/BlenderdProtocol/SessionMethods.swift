import JSONRPC

/// `session.open`: lease one Blender instance exclusively. Requirements are by name; absent
/// ones match anything. When no instance is free the call waits in a queue fair across clients;
/// when none can ever fit it fails `-32002` listing what is available.
public enum SessionOpen: RPCMethod {
    public static let name = "session.open"

    public struct Params: Codable, Sendable, Equatable {
        /// cpu, gpu or auto (default auto).
        public var device: String?
        /// true: spawned headless; false: an attached GUI Blender; absent: either.
        public var headless: Bool?
        /// A version range such as ">=4.2", "<4", "4.4", ">=3.4,<4.5".
        public var blender: String?
        /// A render engine the instance must offer (CYCLES, BLENDER_EEVEE_NEXT, …).
        public var engine: String?
        /// Default wall-clock limit for each `script.exec` of this session, in seconds.
        public var timeoutS: Double?
        /// Close the session after this long without a call (owned or detached alike).
        public var idleTimeoutS: Double?
        /// The sandbox tier the session needs: strict, standard (spawned instances of a daemon
        /// running that tier) or trusted (an attached GUI Blender). Absent: any.
        public var sandbox: String?
        /// auto (default): a checkpoint after every successful script.exec; manual: only on
        /// scene.checkpoint.
        public var checkpoint: String?

        public init(
            device: String? = nil, headless: Bool? = nil, blender: String? = nil, engine: String? = nil,
            timeoutS: Double? = nil, idleTimeoutS: Double? = nil, sandbox: String? = nil, checkpoint: String? = nil
        ) {
            self.device = device
            self.headless = headless
            self.blender = blender
            self.engine = engine
            self.timeoutS = timeoutS
            self.idleTimeoutS = idleTimeoutS
            self.sandbox = sandbox
            self.checkpoint = checkpoint
        }

        enum CodingKeys: String, CodingKey {
            case device, headless, blender, engine, sandbox, checkpoint
            case timeoutS = "timeout_s"
            case idleTimeoutS = "idle_timeout_s"
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var session: String
        /// Present this with `session.resume` to take the session over from another connection.
        public var token: String
        public var instance: String
        public var blender: String
        public var kind: String
        public var headless: Bool
        /// session.resume onto a fresh instance: the checkpoint loaded into it (absent: none was
        /// needed or there is none), and why loading failed.
        public var restoredCheckpoint: String?
        public var restoreError: String?

        enum CodingKeys: String, CodingKey {
            case session, token, instance, blender, kind, headless
            case restoredCheckpoint = "restored_checkpoint"
            case restoreError = "restore_error"
        }

        public init(session: String, token: String, instance: String, blender: String, kind: String, headless: Bool) {
            self.session = session
            self.token = token
            self.instance = instance
            self.blender = blender
            self.kind = kind
            self.headless = headless
        }
    }
}

/// `session.close`: end a session; its instance is reset and returned to the pool.
public enum SessionClose: RPCMethod {
    public static let name = "session.close"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        public init(session: String) { self.session = session }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var closed: Bool
        public init(closed: Bool = true) { self.closed = closed }
    }
}

/// One session as `session.list` shows it.
public struct SessionInfo: Codable, Sendable, Equatable {
    public var session: String
    public var instance: String?
    public var blender: String
    /// Whether the calling connection owns it (others must `session.resume` with its token).
    public var mine: Bool
    /// Whether any connection owns it now.
    public var attached: Bool
    public var execs: Int
    public var idleS: Double
    /// The checkpoint its scene is at (recovery and session.resume load it), and how many it has.
    public var checkpoint: String?
    public var checkpoints: Int

    public init(session: String, instance: String?, blender: String, mine: Bool, attached: Bool, execs: Int, idleS: Double,
                checkpoint: String? = nil, checkpoints: Int = 0) {
        self.session = session
        self.instance = instance
        self.blender = blender
        self.mine = mine
        self.attached = attached
        self.execs = execs
        self.idleS = idleS
        self.checkpoint = checkpoint
        self.checkpoints = checkpoints
    }

    enum CodingKeys: String, CodingKey {
        case session, instance, blender, mine, attached, execs, checkpoint, checkpoints
        case idleS = "idle_s"
    }
}

public enum SessionList: RPCMethod {
    public static let name = "session.list"
    public typealias Params = NoParams

    public struct Result: Codable, Sendable, Equatable {
        public var sessions: [SessionInfo]
        public init(sessions: [SessionInfo]) { self.sessions = sessions }
    }
}

/// `session.resume`: take over a session (after a reconnect) by presenting its token.
public enum SessionResume: RPCMethod {
    public static let name = "session.resume"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        public var token: String
        public init(session: String, token: String) {
            self.session = session
            self.token = token
        }
    }

    public typealias Result = SessionOpen.Result
}
