import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC
import UVCore

/// What survives a daemon restart, graceful or `kill -9` (StateDirectory.swift for the layout):
/// `session.json` is rewritten (write, fsync-free rename) whenever the checkpoint list changes;
/// `journal.jsonl` gets one line per call that touched the scene. At start the daemon reads every
/// session back as detached: `session.list` shows it, `session.resume` with its token continues on
/// a fresh instance from its current checkpoint.
struct PersistedSession: Codable {
    var id: String
    var token: String
    var createdAt: String
    var params: SessionOpen.Params
    var policy: CheckpointPolicy
    var execTimeoutMs: Int
    var idleTimeoutMs: UInt64
    var blender: String
    var execs: Int
    var checkpoints: [CheckpointInfo]
    var current: String?
    var nextCheckpoint: Int
    var journalSequence: Int

    enum CodingKeys: String, CodingKey {
        case id, token, params, policy, blender, execs, checkpoints, current
        case createdAt = "created_at", execTimeoutMs = "exec_timeout_ms", idleTimeoutMs = "idle_timeout_ms"
        case nextCheckpoint = "next_checkpoint", journalSequence = "journal_sequence"
    }
}

extension SessionTable {
    func createSessionDirectory(_ session: Session) throws {
        try FileManager.default.createDirectory(atPath: state.checkpoints(session.id), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    func closeJournal(_ session: Session) {
        if session.journalDescriptor >= 0 { Glibc.close(session.journalDescriptor) }
        session.journalDescriptor = -1
    }

    func removeSessionDirectory(_ session: Session) {
        guard !session.directory.isEmpty else { return }
        try? FileManager.default.removeItem(atPath: session.directory)
    }

    func persist(_ session: Session) {
        guard !session.directory.isEmpty else { return }
        let record = PersistedSession(
            id: session.id, token: session.token, createdAt: session.createdAt, params: session.openParams,
            policy: session.checkpointPolicy, execTimeoutMs: session.execTimeoutMilliseconds,
            idleTimeoutMs: session.idleTimeoutMilliseconds, blender: session.blender, execs: session.execs,
            checkpoints: session.checkpoints, current: session.currentCheckpoint,
            nextCheckpoint: session.nextCheckpointNumber, journalSequence: session.journalSequence)
        let path = session.directory + "/session.json"
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let data = try encoder.encode(record)
            let temporary = path + ".tmp"
            // write + rename, no fsync: FileManager.createFile fsyncs (milliseconds on the loop
            // thread, stalling every client); a crash may lose the last update, never corrupt one.
            // 0600: the file holds the session's token.
            let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            let complete = data.withUnsafeBytes { raw -> Bool in
                guard let base = raw.baseAddress else { return true }
                var offset = 0
                while offset < raw.count {
                    let written = Glibc.write(fd, base + offset, raw.count - offset)
                    if written <= 0 { return false }
                    offset += written
                }
                return true
            }
            Glibc.close(fd)
            guard complete, rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            logger.error("cannot persist the session: \(error)", metadata: ["session": "\(session.id)"])
        }
    }

    /// One journal line for a call on the session's scene: the code of a script, the outcome,
    /// the checkpoint it produced. `result` is the worker's text: only its checkpoint and
    /// duration are read, and only when the line is written.
    func journal(_ session: Session, method: String, params: RawJSON, result: Result<RawJSON, RPCError>) {
        journal(session) { Self.journalEntry(method: method, code: params.member("code"), result: result) }
    }

    func journal(_ session: Session, method: String, params: JSONValue, result: Result<JSONValue, RPCError>) {
        journal(session) {
            Self.journalEntry(method: method, code: params["code"].map(RawJSON.init), bytes: params["bytes"],
                              result: result.map(RawJSON.init))
        }
    }

    func journal(_ session: Session, entry: KeyValuePairs<String, JSONValue>) {
        journal(session) { JournalEntry(entry) }
    }

    /// Queues a journal line (numbered and timestamped now, written by `flushJournal`).
    ///
    /// Lines are written in batches, at most `journalFlushMilliseconds` after the first one,
    /// not between a reply and the client's next request. A socket write wakes its reader on
    /// the writer's core, expecting the writer to sleep next (a scheduler trace of the exec
    /// benchmark showed the client waiting there while the daemon built and wrote the line),
    /// so work after a reply is work the client waits for; a line was a quarter of a forwarded
    /// script.exec's instructions plus a system call. A `kill -9` of the daemon loses at most
    /// the lines of its last `journalFlushMilliseconds`; checkpoints and session.json are still
    /// written before the reply.
    private func journal(_ session: Session, _ makeEntry: @escaping () -> JournalEntry) {
        guard !session.directory.isEmpty else { return }
        session.journalSequence += 1
        if session.pendingJournal.isEmpty { sessionsWithJournalLines.append(session) }
        session.pendingJournal.append(PendingJournalLine(sequence: session.journalSequence, at: Date(), makeEntry: makeEntry))
        if journalTimer == nil { journalTimer = try? UVCore.Timer(loop: loop) }
        if let timer = journalTimer, !timer.isActive {
            do {
                try timer.start(after: Self.journalFlushMilliseconds) { [unowned self] in self.flushJournal() }
            } catch {
                flushJournal()
            }
        } else if journalTimer == nil {
            flushJournal()  // no timer to be had: write now rather than never
        }
    }

    /// Longest a journal line waits to be written.
    static let journalFlushMilliseconds = 20

    /// Writes every queued journal line (the timer fired, or the daemon is shutting down).
    func flushJournal() {
        journalTimer?.stop()
        let waiting = sessionsWithJournalLines
        sessionsWithJournalLines = []
        for session in waiting { writeJournal(session) }
    }

    /// Writes one session's queued lines, in one write.
    func writeJournal(_ session: Session) {
        let lines = session.pendingJournal
        session.pendingJournal = []
        guard !lines.isEmpty, !session.directory.isEmpty else { return }
        // Written as bytes, not through a dictionary and the serialiser: a line per script.exec
        // was a third of the daemon's instructions per exec.
        var text: [UInt8] = []
        for line in lines {
            let entry = line.makeEntry()
            text += #"{"seq":"#.utf8
            text += String(line.sequence).utf8
            text += #","at":""#.utf8
            text += Session.rfc3339(line.at).utf8
            text.append(UInt8(ascii: "\""))
            text += entry.text
            if let code = entry.code {
                // The code as the client sent it (never re-escaped).
                text += #","code":"#.utf8
                text += code.bytes
            }
            text += "}\n".utf8
        }
        if session.journalDescriptor < 0 {
            let path = session.directory + "/journal.jsonl"
            session.journalDescriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard session.journalDescriptor >= 0 else {
                logger.error("cannot append to the journal", metadata: ["session": "\(session.id)", "path": "\(path)"])
                return
            }
        }
        let fd = session.journalDescriptor
        var bytes = text[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            bytes = bytes.dropFirst(written)
        }
    }

    /// A session that ends: its queued lines are written if it stays on disk, else dropped with
    /// its directory.
    func settleJournal(_ session: Session, keep: Bool) {
        if keep { writeJournal(session) } else { session.pendingJournal = [] }
        sessionsWithJournalLines.removeAll { $0 === session }
        closeJournal(session)
    }

    /// A call's line: method, outcome, the checkpoint it produced and, for a success, the
    /// worker's duration (read from the result's text, which is not parsed).
    static func journalEntry(method: String, code: RawJSON?, bytes: JSONValue? = nil,
                             result: Result<RawJSON, RPCError>) -> JournalEntry {
        var entry = JournalEntry(code: code)
        entry.add("method", .string(method))
        if let bytes { entry.add("bytes", bytes) }
        switch result {
        case .success(let value):
            entry.add("ok", true)
            entry.add("checkpoint", raw: value.member("checkpoint"))
            if let ms = value.member("duration_ms") { entry.add("duration_ms", raw: ms) }
        case .failure(let error):
            entry.add("ok", false)
            entry.add("error", .number(JSONNumber(Int(error.code.rawValue))))
            if let type = error.data?["type"] { entry.add("type", type) }
            if let restored = error.data?["restored_checkpoint"] { entry.add("restored_checkpoint", restored) }
        }
        return entry
    }

    /// Reads the sessions a previous run left (detached, instance-less, restoring on first use).
    /// A directory without a readable session.json is left alone and logged.
    func loadPersisted() {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: state.sessions) else { return }
        let decoder = JSONDecoder()
        for name in names.sorted() {
            let directory = state.session(name)
            guard let data = manager.contents(atPath: directory + "/session.json"),
                  let record = try? decoder.decode(PersistedSession.self, from: data), record.id == name else {
                logger.warning("skipping a session directory without a readable session.json", metadata: ["path": "\(directory)"])
                continue
            }
            guard case .success(let requirements) = self.requirements(from: record.params) else { continue }
            let session = Session(
                id: record.id, token: record.token, requirements: requirements, execTimeoutMilliseconds: record.execTimeoutMs,
                idleTimeoutMilliseconds: record.idleTimeoutMs, owner: nil, instance: nil, blender: record.blender,
                now: loop.nowMilliseconds)
            session.createdAt = record.createdAt
            session.openParams = record.params
            session.checkpointPolicy = record.policy
            session.directory = directory
            session.execs = record.execs
            // Files that vanished (a crash mid-prune) are dropped from the list.
            session.checkpoints = record.checkpoints.filter { manager.fileExists(atPath: state.checkpoints(name) + "/\($0.id).blend") }
            session.currentCheckpoint = session.checkpoints.contains { $0.id == record.current } ? record.current : session.checkpoints.last?.id
            session.nextCheckpointNumber = record.nextCheckpoint
            // session.json is rewritten only with checkpoints; the journal itself counts its lines.
            let lines = manager.contents(atPath: directory + "/journal.jsonl").map { $0.reduce(0) { $1 == 0x0a ? $0 + 1 : $0 } } ?? 0
            session.journalSequence = max(record.journalSequence, lines)
            session.needsRestore = true
            sessions[session.id] = session
            logger.info("session restored from the state directory", metadata: [
                "session": "\(session.id)", "checkpoint": "\(session.currentCheckpoint ?? "none")",
            ])
        }
    }
}
