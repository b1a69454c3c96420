// Files a worker wrote (rendered views, exports) on their way to the client that asked, in the
// form it chose (protocol/README.md, "Attachments" and "Streaming"):
//
//   inline  the bytes as base64 in the announcing message (`attachment.base64`)
//   binary  an attachment frame right behind the announcing message (header framing only)
//   path    the file copied into the session's directory, which no sandbox sees (`attachment.path`)
//
// The bytes are read from the workspace through ScratchDirectory (never following a path the
// sandbox controls) and spliced into the outgoing message as they are: no JSON tree holds them.
//
// Backpressure: while the client is over its queue limit, announced files are not read; only
// their names wait here (the worker may go on rendering into files), and they are sent in order
// when the connection drains. So what the daemon holds for a client that stops reading is its
// queue limit plus one file, however many views render meanwhile.

import BlenderdProtocol
import Foundation
import JSONRPC
import Logging

/// The delivery of one request's files to one client, in announcement order.
final class FileDelivery {
    /// A file announced by a worker and not delivered yet.
    struct Pending {
        let name: String
        let scratch: ScratchDirectory
        /// The notification method and its params without `attachment`.
        let method: String
        let params: [String: JSONValue]
        let mime: String
        /// Set for path delivery: the file is already out of the workspace.
        let hostPath: String?
        let bytes: Int?
    }

    /// Largest file delivered through the socket (inline or binary); `path` has no limit. The
    /// file is in memory while it is sent (inline: with its base64, and the part the socket did
    /// not take copied into the write queue), so this bounds one delivery at about 3× it.
    static let maxSocketBytes = 512 << 20

    let connection: ClientConnection
    let delivery: Delivery
    /// Where path delivery puts files (created on first use).
    let hostDirectory: String
    private let logger: Logger
    private var pending: [Pending] = []
    private var waitingForDrain = false
    private var whenIdle: [() -> Void] = []
    private(set) var delivered = 0
    /// Loop time of the first file sent.
    private(set) var firstSentMilliseconds: UInt64?
    private let now: () -> UInt64
    /// Sees each notification as it goes to the client, with its file (subscribers: EventBus).
    var observer: ((_ method: String, _ params: [String: JSONValue], _ file: EventBus.File?) -> Void)?

    init(connection: ClientConnection, delivery: Delivery, hostDirectory: String, logger: Logger, now: @escaping () -> UInt64) {
        self.connection = connection
        self.delivery = delivery
        self.hostDirectory = hostDirectory
        self.logger = logger
        self.now = now
    }

    var isIdle: Bool { pending.isEmpty }

    /// Takes over the file `name` in `scratch`: with path delivery it leaves the workspace at
    /// once (returning where it now is); the notification goes out now, or when the client has
    /// drained. Throws when the file cannot be taken (a link planted by a script, a vanished file).
    @discardableResult
    func announce(_ name: String, in scratch: ScratchDirectory, method: String, params: [String: JSONValue],
                  mime: String) throws(ScratchError) -> (path: String?, bytes: Int?) {
        var hostPath: String?
        var bytes: Int?
        if delivery == .path {
            let destination = try makeHostDirectory() + "/" + name
            try scratch.moveOut(name, to: destination)
            hostPath = destination
            bytes = Self.fileSize(destination)
        }
        pending.append(Pending(name: name, scratch: scratch, method: method, params: params, mime: mime,
                               hostPath: hostPath, bytes: bytes))
        pump()
        return (hostPath, bytes)
    }

    /// A small notification (progress) that is worth nothing late: sent if the client is
    /// keeping up, dropped while it is over its limit.
    func sendEphemeral(_ method: String, params: [String: JSONValue]) {
        observer?(method, params, nil)
        guard !connection.isClosed, !connection.isOverLimit else { return }
        connection.send(Self.notification(method, params: params), attachment: nil)
    }

    /// Runs `body` once every announced file has been sent (at once if none waits).
    func whenDelivered(_ body: @escaping () -> Void) {
        if pending.isEmpty || connection.isClosed { return body() }
        whenIdle.append(body)
    }

    /// The client left or the request failed: files not sent yet are removed from the workspace.
    func discard() {
        for file in pending where file.hostPath == nil { file.scratch.remove(file.name) }
        pending = []
        let waiting = whenIdle
        whenIdle = []
        waiting.forEach { $0() }
    }

    private func pump() {
        while !pending.isEmpty, !connection.isClosed, !connection.isOverLimit {
            send(pending.removeFirst())
        }
        if connection.isClosed {
            discard()
            return
        }
        if !pending.isEmpty {
            guard !waitingForDrain else { return }
            waitingForDrain = true
            connection.whenDrained { [weak self] in
                guard let self else { return }
                self.waitingForDrain = false
                self.pump()
            }
            return
        }
        let waiting = whenIdle
        whenIdle = []
        waiting.forEach { $0() }
    }

    private func send(_ file: Pending) {
        var params = file.params
        if let hostPath = file.hostPath {
            let size = file.bytes ?? 0
            params["bytes"] = .number(JSONNumber(size))
            params["attachment"] = ["bytes": .number(JSONNumber(size)), "mime": .string(file.mime), "path": .string(hostPath)]
            connection.send(Self.notification(file.method, params: params), attachment: nil)
            observer?(file.method, params, .path(hostPath, mime: file.mime))
            sent()
            return
        }
        let bytes: [UInt8]
        do {
            bytes = try file.scratch.read(file.name, maxBytes: Self.maxSocketBytes)
        } catch {
            // Announced but unreadable: say so in the stream instead of leaving a gap the client
            // would wait on.
            logger.warning("cannot deliver \(file.name): \(error)")
            params["error"] = .string("\(error)")
            connection.send(Self.notification(file.method, params: params), attachment: nil)
            observer?(file.method, params, nil)
            file.scratch.remove(file.name)
            sent()
            return
        }
        file.scratch.remove(file.name)
        params["bytes"] = .number(JSONNumber(bytes.count))
        if delivery == .binary && connection.framing == .header {
            params["attachment"] = ["bytes": .number(JSONNumber(bytes.count)), "mime": .string(file.mime)]
            connection.send(Self.notification(file.method, params: params), attachment: bytes)
        } else {
            connection.send(Self.notification(file.method, params: params, inline: (bytes, file.mime)), attachment: nil)
        }
        observer?(file.method, params, .bytes(bytes, name: file.name, mime: file.mime))
        sent()
    }

    private func sent() {
        delivered += 1
        if firstSentMilliseconds == nil { firstSentMilliseconds = now() }
    }

    private func makeHostDirectory() throws(ScratchError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: hostDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw ScratchError("cannot create \(hostDirectory): \(error)")
        }
        return hostDirectory
    }

    // MARK: Encoding

    /// A notification `{"jsonrpc":"2.0","method":…,"params":{…}}`; with `inline`, `params` gets
    /// `"attachment": {bytes, mime, base64}`, the base64 written straight into the message, which
    /// is allocated once at its final size (a file of megabytes is copied once, as its encoding).
    static func notification(_ method: String, params: [String: JSONValue], inline: (bytes: [UInt8], mime: String)? = nil) -> [UInt8] {
        let encoded = JSON.encode(.object(params))
        var out = Array("{\"jsonrpc\":\"2.0\",\"method\":".utf8)
        out.append(contentsOf: JSON.encode(.string(method)))
        out.append(contentsOf: Array(",\"params\":".utf8))
        guard let inline else {
            out.append(contentsOf: encoded)
            out.append(UInt8(ascii: "}"))
            return out
        }
        out.append(contentsOf: encoded.dropLast())  // all but the closing brace
        if encoded.count > 2 { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: Array("\"attachment\":{\"bytes\":\(inline.bytes.count),\"mime\":".utf8))
        out.append(contentsOf: JSON.encode(.string(inline.mime)))
        out.append(contentsOf: Array(",\"base64\":\"".utf8))
        return Base64.encode(inline.bytes, between: out, and: Array("\"}}}".utf8))
    }

    static func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
    }
}
