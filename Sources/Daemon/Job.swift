import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC
import Logging
import UVCore

/// A farm job (`job.submit`): frames of one scene file, split into chunks that instances leased
/// from the pool render one at a time each. The job owns its copy of the scene
/// (`<state>/jobs/<id>/scene.blend`), so the session or file it came from may change meanwhile.
///
/// Exactly once: a frame counts as done when its file has been moved into the frames directory,
/// and only then is `job.frame` sent; a chunk that fails is retried with only its frames that
/// are not done, so no frame is rendered twice into the results. Loop thread only.
final class Job {
    let id: String
    /// Sorted, unique.
    let frames: [Int]
    let settings: JobSettings
    /// `<state>/jobs/<id>`: the scene copy, per-instance scratch for unsandboxed workers, and by
    /// default the frames.
    let directory: String
    let framesDirectory: String
    let requirements: Requirements
    let chunkCount: Int
    let submittedAt: Date
    let submittedNanoseconds: UInt64

    /// The fairness unit in the pool's queue: the submitting connection, or the job itself once
    /// that connection has gone (its waiting acquires would otherwise be dropped with it).
    var client: Int
    /// The submitting connection; notifications go nowhere once it has closed.
    weak var connection: ClientConnection?
    /// Its notifications, in order, with frames as it asked (JobOutbox.swift).
    let outbox: JobOutbox
    /// Notifications wait until the client has the job id (job.submit's reply).
    var announced = false

    var state: JobState = .queued
    var pending: [JobChunk] = []
    /// Chunks on instances, by instance id.
    var running: [String: RunningChunk] = [:]
    /// Acquires this job has waiting in the pool (at most one at a time: a job is one client in
    /// the pool's fair queue, not one per chunk).
    var acquiring = 0
    var done: [Int: DoneFrame] = [:]
    var failed: [Int: String] = [:]
    var retries = 0
    var reason: String?
    var endedAt: Date?
    var endedNanoseconds: UInt64?
    /// Ended and cleaned up (its scene copy removed); kept for job.status.
    var finished = false
    /// The pool said before job.submit answered that nothing can run it: job.submit's error.
    var startError: RPCError?

    init(id: String, frames: [Int], settings: JobSettings, directory: String, framesDirectory: String,
         requirements: Requirements, client: Int, connection: ClientConnection) {
        self.id = id
        self.frames = frames
        self.settings = settings
        self.directory = directory
        self.framesDirectory = framesDirectory
        self.requirements = requirements
        self.client = client
        self.connection = connection
        var logger = Logger(label: "blenderd.job")
        logger[metadataKey: "job"] = "\(id)"
        outbox = JobOutbox(connection: connection, delivery: settings.delivery, logger: logger)
        submittedAt = Date()
        submittedNanoseconds = EventLoop.hrtimeNanoseconds()
        pending = FrameSpec.chunks(frames, size: settings.chunk).enumerated().map { JobChunk(number: $0.offset + 1, frames: $0.element) }
        chunkCount = pending.count
    }

    var scenePath: String { directory + "/scene.blend" }
    var owner: String { "job:" + id }
    var isActive: Bool { state == .queued || state == .running }

    /// Frames in chunks on instances now, not yet done.
    var runningFrames: Int {
        running.values.reduce(0) { sum, run in sum + run.chunk.frames.filter { done[$0] == nil }.count }
    }

    var elapsedMilliseconds: Double {
        Double((endedNanoseconds ?? EventLoop.hrtimeNanoseconds()) &- submittedNanoseconds) / 1e6
    }

    var progress: JobProgress.Params {
        JobProgress.Params(job: id, state: state.rawValue, done: done.count, total: frames.count, failed: failed.count,
                           running: runningFrames, elapsedMs: (elapsedMilliseconds * 10).rounded() / 10)
    }

    var status: JobStatus.Result {
        JobStatus.Result(
            job: id, state: state.rawValue, total: frames.count, done: done.count,
            failed: failed.keys.sorted().map { JobFailedFrame(frame: $0, reason: failed[$0] ?? "") },
            framesDir: framesDirectory, startedAt: Session.rfc3339(submittedAt),
            elapsedMs: (elapsedMilliseconds * 10).rounded() / 10, instances: running.keys.sorted(),
            chunks: chunkCount, retries: retries, reason: reason, endedAt: endedAt.map(Session.rfc3339))
    }

    /// The file name the worker writes for `frame` and the daemon moves into the frames directory.
    func fileName(_ frame: Int) -> String {
        let digits = String(frame)
        return "frame-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "." + settings.format.fileExtension
    }
}

enum JobState: String {
    case queued, running, done, failed, cancelled
}

/// What every chunk of a job is rendered with (validated by JobHandlers).
struct JobSettings {
    var chunk: Int
    var engine: String?
    var samples: Int?
    var resolution: [Int]?
    var format: FrameFormat
    var camera: String?
    var timeoutMilliseconds: Int
    /// How job.frame brings each frame to the submitting connection (JobOutbox).
    var delivery: Delivery = .path

    /// render.frames' params for `frames`, written into `outputDirectory` (a worker path).
    func workerParams(frames: [Int], outputDirectory: String) -> JSONValue {
        var params: [String: JSONValue] = [
            "frames": .array(frames.map { .number(JSONNumber($0)) }),
            "output_dir": .string(outputDirectory),
            "format": .string(format.rawValue),
        ]
        if let engine { params["engine"] = .string(engine) }
        if let samples { params["samples"] = .number(JSONNumber(samples)) }
        if let resolution { params["resolution"] = .array(resolution.map { .number(JSONNumber($0)) }) }
        if let camera { params["camera"] = .string(camera) }
        return .object(params)
    }
}

enum FrameFormat: String, CaseIterable {
    case png = "PNG", jpeg = "JPEG", exr = "EXR"

    var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .exr: "exr"
        }
    }
}

/// Frames rendered together on one instance.
struct JobChunk {
    let number: Int
    var frames: [Int]
    /// Runs that failed so far; at `JobTable.maxTries` its frames are reported failed.
    var tries = 0
    /// Instances it failed on: a retry prefers another one.
    var failedOn: Set<String> = []
}

/// A chunk on its instance.
final class RunningChunk {
    var chunk: JobChunk
    let instance: Instance
    let scratch: ScratchDirectory
    /// The scratch's parent for an unsandboxed worker (removed afterwards); nil in a workspace.
    let privateBase: String?
    /// job.cancel's SIGINT → SIGTERM → SIGKILL escalation.
    var cancelTimer: UVCore.Timer?

    init(chunk: JobChunk, instance: Instance, scratch: ScratchDirectory, privateBase: String?) {
        self.chunk = chunk
        self.instance = instance
        self.scratch = scratch
        self.privateBase = privateBase
    }
}

/// A frame whose file is in the frames directory.
struct DoneFrame {
    let path: String
    let instance: String
}
