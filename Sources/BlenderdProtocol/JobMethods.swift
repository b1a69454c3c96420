import JSONRPC

/// `job.submit`: render frames of a `.blend` (a path, inline bytes, or a session's checkpoint) in
/// chunks spread over the pool's instances. Answers at once with the job id; the job then runs
/// on its own (it is not tied to the connection) and reports through `job.progress`/`job.frame`.
public enum JobSubmit: RPCMethod {
    public static let name = "job.submit"

    public struct Params: Codable, Sendable, Equatable {
        /// Exactly one of `blend`, `data` and `session` names the scene.
        public var blend: String?
        public var data: String?
        public var session: String?
        /// With `session`: one of its checkpoints; default its current one.
        public var checkpoint: String?
        /// "1-240", "1-10,20,30-40:2": frame numbers, ranges and stepped ranges.
        public var frames: String
        /// Frames per task (one task runs on one instance at a time).
        public var chunk: Int?
        public var engine: String?
        public var samples: Int?
        public var resolution: [Int]?
        public var format: String?
        /// A camera object to render from; default the scene's camera.
        public var camera: String?
        /// Absolute directory for the frame files; default the job's directory in the state dir.
        public var output: String?
        /// Which Blender versions may render it; default: the file's own version or newer.
        public var blender: String?
        /// Wall-clock limit for one chunk's render, seconds.
        public var timeoutS: Double?
        /// How job.frame brings each frame: path (default), inline or binary (header framing only).
        public var delivery: String?

        public init(blend: String? = nil, data: String? = nil, session: String? = nil, checkpoint: String? = nil,
                    frames: String, chunk: Int? = nil, engine: String? = nil, samples: Int? = nil,
                    resolution: [Int]? = nil, format: String? = nil, camera: String? = nil, output: String? = nil,
                    blender: String? = nil, timeoutS: Double? = nil, delivery: String? = nil) {
            self.blend = blend
            self.data = data
            self.session = session
            self.checkpoint = checkpoint
            self.frames = frames
            self.chunk = chunk
            self.engine = engine
            self.samples = samples
            self.resolution = resolution
            self.format = format
            self.camera = camera
            self.output = output
            self.blender = blender
            self.timeoutS = timeoutS
            self.delivery = delivery
        }

        enum CodingKeys: String, CodingKey {
            case blend, data, session, checkpoint, frames, chunk, engine, samples, resolution, format, camera, output, blender
            case delivery
            case timeoutS = "timeout_s"
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var job: String
        /// How many frames the job renders, and in how many chunks.
        public var frames: Int
        public var chunks: Int
        /// Where the frame files go.
        public var framesDir: String
        /// The Blender versions that may render it (as understood).
        public var blender: String

        public init(job: String, frames: Int, chunks: Int, framesDir: String, blender: String) {
            self.job = job
            self.frames = frames
            self.chunks = chunks
            self.framesDir = framesDir
            self.blender = blender
        }

        enum CodingKeys: String, CodingKey {
            case job, frames, chunks, blender
            case framesDir = "frames_dir"
        }
    }
}

/// A frame that will not be rendered, and why.
public struct JobFailedFrame: Codable, Sendable, Equatable {
    public var frame: Int
    public var reason: String

    public init(frame: Int, reason: String) {
        self.frame = frame
        self.reason = reason
    }
}

/// `job.status`: where a job is.
public enum JobStatus: RPCMethod {
    public static let name = "job.status"

    public struct Params: Codable, Sendable, Equatable {
        public var job: String
        public init(job: String) { self.job = job }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var job: String
        /// queued, running, done, failed, cancelled
        public var state: String
        public var total: Int
        public var done: Int
        public var failed: [JobFailedFrame]
        public var framesDir: String
        /// RFC 3339, UTC: when it was submitted.
        public var startedAt: String
        /// Since submission, up to now or to its end.
        public var elapsedMs: Double
        /// Instances rendering its chunks now.
        public var instances: [String]
        public var chunks: Int
        /// Chunks run again after a failure.
        public var retries: Int
        /// Why it failed or was cancelled.
        public var reason: String?
        public var endedAt: String?

        public init(job: String, state: String, total: Int, done: Int, failed: [JobFailedFrame], framesDir: String,
                    startedAt: String, elapsedMs: Double, instances: [String], chunks: Int, retries: Int,
                    reason: String? = nil, endedAt: String? = nil) {
            self.job = job
            self.state = state
            self.total = total
            self.done = done
            self.failed = failed
            self.framesDir = framesDir
            self.startedAt = startedAt
            self.elapsedMs = elapsedMs
            self.instances = instances
            self.chunks = chunks
            self.retries = retries
            self.reason = reason
            self.endedAt = endedAt
        }

        enum CodingKeys: String, CodingKey {
            case job, state, total, done, failed, instances, chunks, retries, reason
            case framesDir = "frames_dir"
            case startedAt = "started_at"
            case elapsedMs = "elapsed_ms"
            case endedAt = "ended_at"
        }
    }
}

/// `job.cancel`: stop a job; chunks in flight are interrupted and their instances returned.
public enum JobCancel: RPCMethod {
    public static let name = "job.cancel"

    public struct Params: Codable, Sendable, Equatable {
        public var job: String
        public init(job: String) { self.job = job }
    }

    public struct Result: Codable, Sendable, Equatable {
        /// False when the job had already ended (`state` says how).
        public var cancelled: Bool
        public var state: String

        public init(cancelled: Bool, state: String) {
            self.cancelled = cancelled
            self.state = state
        }
    }
}

/// `job.progress`: sent to the submitting connection at least once a second while a job runs,
/// and once when it ends.
public enum JobProgress: RPCNotification {
    public static let name = "job.progress"

    public struct Params: Codable, Sendable, Equatable {
        public var job: String
        public var state: String
        public var done: Int
        public var total: Int
        /// Frames that will not be rendered.
        public var failed: Int
        /// Frames being rendered now (in chunks on instances).
        public var running: Int
        public var elapsedMs: Double

        public init(job: String, state: String, done: Int, total: Int, failed: Int, running: Int, elapsedMs: Double) {
            self.job = job
            self.state = state
            self.done = done
            self.total = total
            self.failed = failed
            self.running = running
            self.elapsedMs = elapsedMs
        }

        enum CodingKeys: String, CodingKey {
            case job, state, done, total, failed, running
            case elapsedMs = "elapsed_ms"
        }
    }
}

/// `job.frame`: one frame's file is in the job's frames directory.
public enum JobFrame: RPCNotification {
    public static let name = "job.frame"

    public struct Params: Codable, Sendable, Equatable {
        public var job: String
        public var frame: Int
        public var path: String
        public var width: Int
        public var height: Int
        public var bytes: Int
        public var mime: String
        /// The instance that rendered it.
        public var instance: String
        public var durationMs: Double

        public init(job: String, frame: Int, path: String, width: Int, height: Int, bytes: Int, mime: String,
                    instance: String, durationMs: Double) {
            self.job = job
            self.frame = frame
            self.path = path
            self.width = width
            self.height = height
            self.bytes = bytes
            self.mime = mime
            self.instance = instance
            self.durationMs = durationMs
        }

        enum CodingKeys: String, CodingKey {
            case job, frame, path, width, height, bytes, mime, instance
            case durationMs = "duration_ms"
        }
    }
}
