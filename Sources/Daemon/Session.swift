import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC

/// A client's exclusive lease of one Blender instance's scene.
///
/// A session outlives the connection that opened it: when that connection closes the session is
/// detached, and another connection may take it over with `session.resume` and the token, until
/// the idle timeout closes it. If its instance dies (crash, timeout, `instance.stop`) the session
/// stays, and its next call leases a fresh instance.
final class Session {
    let id: String
    let token: String
    let requirements: Requirements
    /// Default per-call wall-clock limit for `script.exec`, milliseconds.
    let execTimeoutMilliseconds: Int
    let idleTimeoutMilliseconds: UInt64
    /// The connection that owns it; nil while detached.
    var owner: Int?
    var instance: Instance?
    /// Version of the Blender it runs (kept when the instance is replaced, for `session.list`).
    var blender: String
    var execs = 0
    /// Calls sent to its instance and not answered yet: a session is never idle while one runs.
    var callsInFlight = 0
    var lastActiveMilliseconds: UInt64
    /// Calls waiting for this session's instance (one runs at a time; the rest keep order).
    var waitingForInstance: [(Result<Instance, RPCError>) -> Void] = []

    // Checkpoints (SessionTable+Checkpoints.swift)
    var checkpointPolicy: CheckpointPolicy = .auto
    /// Host directory: session.json, journal.jsonl, checkpoints/. Never visible in a sandbox.
    var directory: String = ""
    var checkpoints: [CheckpointInfo] = []
    var nextCheckpointNumber = 1
    /// The checkpoint the scene was last saved to or restored from: what recovery loads.
    var currentCheckpoint: String?
    /// Set when the session lost its instance: the next lease loads `currentCheckpoint` first.
    var needsRestore = false
    /// What the last automatic restore did, for the error that caused it (`restored_checkpoint`).
    var lastRecovery: (checkpoint: String?, error: String?)?
    /// The request running on the instance now, by (connection id, request id): request.cancel.
    var running: (connection: Int, request: RequestID)?
    /// request.cancel asked for the running request: its failure is reported -32006.
    var cancelRequested = false
    /// Where the running operation is, for request.cancel: only leasing and calling can be cancelled.
    var phase: OperationPhase = .idle
    var journalSequence = 0
    /// journal.jsonl, opened on first append and kept open (an open/close per exec would cost
    /// the hot path two system calls).
    var journalDescriptor: Int32 = -1
    var createdAt: String
    /// What `session.open` asked for: persisted, so the requirements survive a restart.
    var openParams = SessionOpen.Params()
    /// Operations waiting their turn (SessionTable+Queue.swift); one runs at a time.
    var operations: [SessionOperation] = []
    var operationRunning = false

    init(
        id: String, token: String, requirements: Requirements, execTimeoutMilliseconds: Int,
        idleTimeoutMilliseconds: UInt64, owner: Int?, instance: Instance?, blender: String, now: UInt64
    ) {
        self.id = id
        self.token = token
        self.requirements = requirements
        self.execTimeoutMilliseconds = execTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.owner = owner
        self.instance = instance
        self.blender = blender
        self.lastActiveMilliseconds = now
        self.createdAt = Session.rfc3339(Date())
    }

    static func rfc3339(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}

enum CheckpointPolicy: String, Codable, Sendable {
    /// After every successful script.exec (and scene.load).
    case auto
    /// Only scene.checkpoint.
    case manual
}

/// The running operation's step (SessionTable+Queue.swift).
enum OperationPhase {
    case idle
    /// Waiting for an instance (a lease, a restore into a fresh one): cancel before the call starts.
    case leasing
    /// The worker runs the client's call: cancel interrupts it.
    case calling
    /// The call is over; the daemon saves or loads a checkpoint: too late to cancel.
    case finishing
}
