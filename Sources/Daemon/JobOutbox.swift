// What a farm job sends the connection that submitted it, in order: job.progress as it is, and
// job.frame with the frame's file as job.submit's `delivery` asked (protocol/README.md, "Farm
// jobs"): `path` names the file in frames_dir (and `attachment.path`), `inline` adds its bytes as
// base64 (`attachment.base64`), `binary` sends them as an attachment frame right after the
// notification (header framing only; job.submit refuses it on NDJSON). The frame's file stays in
// frames_dir in every case: it is the job's product.
//
// Backpressure as for render images (FileDelivery): while the client is over its queue limit,
// frames wait here as file names, not bytes, and whatever follows them (job.progress, the final
// one included) waits behind them, so a client always sees a job's frames before its end.

import BlenderdProtocol
import Foundation
import JSONRPC
import Logging

final class JobOutbox {
    private enum Item {
        case message([UInt8])
        case frame(params: [String: JSONValue], path: String, mime: String)
    }

    weak var connection: ClientConnection?
    let delivery: Delivery
    private let logger: Logger
    private var queue: [Item] = []
    private var waitingForDrain = false

    init(connection: ClientConnection, delivery: Delivery, logger: Logger) {
        self.connection = connection
        self.delivery = delivery
        self.logger = logger
    }

    /// A notification without a file (job.progress).
    func send(_ method: String, params: [String: JSONValue]) {
        queue.append(.message(FileDelivery.notification(method, params: params)))
        pump()
    }

    /// job.frame for the file at `path` (in frames_dir).
    func sendFrame(_ method: String, params: [String: JSONValue], path: String, mime: String) {
        queue.append(.frame(params: params, path: path, mime: mime))
        pump()
    }

    private func pump() {
        guard let connection, !connection.isClosed else {
            queue = []
            return
        }
        while !queue.isEmpty, !connection.isOverLimit {
            switch queue.removeFirst() {
            case .message(let bytes): connection.send(bytes, attachment: nil)
            case .frame(let params, let path, let mime): sendFrame(params, path: path, mime: mime, on: connection)
            }
        }
        guard !queue.isEmpty, !waitingForDrain else { return }
        waitingForDrain = true
        connection.whenDrained { [weak self] in
            guard let self else { return }
            self.waitingForDrain = false
            self.pump()
        }
    }

    private func sendFrame(_ params: [String: JSONValue], path: String, mime: String, on connection: ClientConnection) {
        var params = params
        let method = JobFrame.name
        if delivery == .path {
            params["attachment"] = ["bytes": params["bytes"] ?? 0, "mime": .string(mime), "path": .string(path)]
            return connection.send(FileDelivery.notification(method, params: params), attachment: nil)
        }
        let bytes: [UInt8]
        do {
            bytes = try Self.read(path)
        } catch {
            // The file is there (the daemon just moved it) unless someone removed it from
            // frames_dir meanwhile: say so instead of leaving the client waiting for bytes.
            logger.warning("cannot deliver \(path): \(error)")
            params["error"] = .string("\(error)")
            return connection.send(FileDelivery.notification(method, params: params), attachment: nil)
        }
        params["bytes"] = .number(JSONNumber(bytes.count))
        if delivery == .binary, connection.framing == .header {
            params["attachment"] = ["bytes": .number(JSONNumber(bytes.count)), "mime": .string(mime)]
            connection.send(FileDelivery.notification(method, params: params), attachment: bytes)
        } else {
            connection.send(FileDelivery.notification(method, params: params, inline: (bytes, mime)), attachment: nil)
        }
    }

    /// A frame's bytes, refusing anything over the socket limit (FileDelivery.maxSocketBytes).
    static func read(_ path: String) throws(ScratchError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ScratchError("cannot open \(path)") }
        defer { try? handle.close() }
        let data: Data
        do { data = try handle.read(upToCount: FileDelivery.maxSocketBytes + 1) ?? Data() } catch {
            throw ScratchError("cannot read \(path): \(error)")
        }
        guard data.count <= FileDelivery.maxSocketBytes else {
            throw ScratchError("\(path) is larger than \(FileDelivery.maxSocketBytes >> 20) MiB, the most delivered through the socket: use delivery path")
        }
        return [UInt8](data)
    }
}
