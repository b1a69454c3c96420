import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC
import UVCore

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
    /// request.cancel's escalation (SIGTERM, then SIGKILL) while the worker ignores SIGINT.
    var cancelTimer: UVCore.Timer?
    /// A restore into a fresh instance is still running after its error was answered: the next
    /// operation waits for it.
    var recoveryInFlight = false
    /// That restore failed: the next call is told instead of running on an empty scene.
    var pendingRestoreError: String?
    /// Where the running operation is, for request.cancel: only leasing and calling can be cancelled.
    var phase: OperationPhase = .idle
    var journalSequence = 0
    /// journal.jsonl, opened on first append and kept open (an open/close per exec would cost
    /// the hot path two system calls).
    var journalDescriptor: Int32 = -1
    /// Journal lines not written yet (SessionTable+Persistence.swift: `journal`).
    var pendingJournal: [PendingJournalLine] = []
    var createdAt: String
    /// What `session.open` asked for: persisted, so the requirements survive a restart.
    var openParams = SessionOpen.Params()
    /// Operations waiting their turn (SessionTable+Queue.swift); one runs at a time.
    var operations: [SessionOperation] = []
    var operationRunning = false
    /// The render.views running as the current operation (SessionTable+Render.swift), and how
    /// many this session has started (names its files).
    var render: RenderJob?
    var renders = 0

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

    /// `ISO8601DateFormatter` with internet date-time and fractional seconds (UTC, milliseconds
    /// rounded), written by hand: creating that formatter costs ~600k instructions in ICU, and a
    /// journal line is written for every script.exec (callgrind: 80 % of a forwarded exec).
    static func rfc3339(_ date: Date) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let wholeSeconds = (milliseconds / 1000).rounded(.down)
        var seconds = time_t(wholeSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        guard (0...9999).contains(parts.tm_year + 1900) else {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.string(from: date)
        }
        var text = Array("0000-00-00T00:00:00.000Z".utf8)
        func put(_ value: Int32, at offset: Int, width: Int) {
            var rest = value
            for position in stride(from: offset + width - 1, through: offset, by: -1) {
                text[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
        }
        put(parts.tm_year + 1900, at: 0, width: 4)
        put(parts.tm_mon + 1, at: 5, width: 2)
        put(parts.tm_mday, at: 8, width: 2)
        put(parts.tm_hour, at: 11, width: 2)
        put(parts.tm_min, at: 14, width: 2)
        put(parts.tm_sec, at: 17, width: 2)
        put(Int32(milliseconds - wholeSeconds * 1000), at: 20, width: 3)
        return String(decoding: text, as: UTF8.self)
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

/// A journal line waiting to be written: its number and time are fixed when the call ends, its
/// text is built when it is written.
struct PendingJournalLine {
    let sequence: Int
    let at: Date
    let makeEntry: () -> JournalEntry
}

/// A journal line's members after `seq` and `at`, already JSON text, in the order added; a
/// script's code is kept as the client's JSON text and goes last.
struct JournalEntry {
    /// `,"key":value` per member.
    private(set) var text: [UInt8] = []
    var code: RawJSON?

    init(code: RawJSON? = nil) {
        self.code = code
        text.reserveCapacity(96)
    }

    init(_ members: KeyValuePairs<String, JSONValue>) {
        self.init()
        for (key, value) in members { add(key, value) }
    }

    mutating func add(_ key: String, _ value: JSONValue) {
        addKey(key)
        JSON.serialize(value, into: &text)
    }

    /// A member whose value is JSON text already (copied, not parsed); nil writes null.
    mutating func add(_ key: String, raw value: RawJSON?) {
        addKey(key)
        if let value { text += value.bytes } else { text += "null".utf8 }
    }

    private mutating func addKey(_ key: String) {
        text.append(UInt8(ascii: ","))
        JSON.serialize(.string(key), into: &text)
        text.append(UInt8(ascii: ":"))
    }
}
