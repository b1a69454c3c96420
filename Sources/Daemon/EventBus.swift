// Subscriptions (`events.subscribe`): connections that follow a session's events, or every
// session's and instance's, as notifications (protocol/README.md, "Subscriptions").
//
// Where events come from (EventBus+Sources.swift builds their params):
//   sessions    opened/closed/expired/restored/resumed, exec.result after every script.exec,
//               checkpoint.saved (SessionTable)
//   streams     render.progress, render.image, scene.export.file: what the requesting client
//               gets, when it gets it (FileDelivery, ExportDelivery), re-delivered per subscriber
//   jobs        job.progress and job.frame (JobTable)
//   the pool    instance.state (InstancePool.onInstanceEvent)
//
// A subscriber never slows what it follows: publishing writes into each subscriber's queue and
// returns. While a subscriber's connection is over its queue limit (`maxQueueBytes`) its
// notifications are dropped, counted, logged, and reported in one `events.dropped` once it has
// drained; one that never reads is closed by the slow-client watchdog like any connection. So a
// subscriber costs the daemon at most its queue limit plus one message. Loop thread only.

import BlenderdProtocol
import Foundation
import JSONRPC
import Logging

final class EventBus {
    final class Subscription {
        let id: String
        let connection: ClientConnection
        /// nil: every session and instance (`all`).
        let session: String?
        let delivery: EventDelivery
        /// Notifications dropped since the last `events.dropped`.
        var dropped = 0
        var reportingDrops = false

        init(id: String, connection: ClientConnection, session: String?, delivery: EventDelivery) {
            self.id = id
            self.connection = connection
            self.session = session
            self.delivery = delivery
        }
    }

    /// A file that goes with a notification, as the requesting client's delivery left it.
    enum File {
        /// Read into memory already (inline or binary delivery to the requester); `name` names
        /// the copy made for `path` subscribers.
        case bytes([UInt8], name: String, mime: String)
        /// On the host, outside every sandbox (path delivery, job frames).
        case path(String, mime: String)
    }

    /// Subscriptions one connection may hold: enough for any client, few enough that a loop
    /// cannot make publishing slow.
    static let maxPerConnection = 64

    private let logger: Logger
    private let state: StateDirectory
    private var subscriptions: [String: Subscription] = [:]
    private var bySession: [String: [Subscription]] = [:]
    private var everything: [Subscription] = []
    private var nextNumber = 1
    private var copies = 0
    /// Jobs submitted from a session: their events also go to that session's subscribers.
    var jobSessions: [String: String] = [:]
    /// The session each instance last served, for its transitions after the lease ended.
    var instanceSessions: [String: String] = [:]

    init(logger: Logger, state: StateDirectory) {
        self.logger = logger
        self.state = state
    }

    // MARK: Subscribing

    /// `events.subscribe`, its params checked before the session is looked up.
    func subscribe(_ params: EventsSubscribe.Params, on connection: ClientConnection,
                   sessionExists: (String) -> Bool) -> Result<EventsSubscribe.Result, RPCError> {
        let all = params.all ?? false
        switch (params.session, all) {
        case (nil, false):
            return .failure(.invalidParams(path: "params", reason: "give exactly one of session (follow one session) and all: true (follow everything); neither was given"))
        case (_?, true):
            return .failure(.invalidParams(path: "params", reason: "give exactly one of session (follow one session) and all: true (follow everything); both were given"))
        default:
            break
        }
        var delivery = EventDelivery.none
        if let text = params.delivery {
            guard let parsed = EventDelivery(rawValue: text) else {
                return .failure(.invalidParams(path: "params.delivery", reason: "expected none, inline, binary or path, got \(JSON.string(.string(text)))"))
            }
            delivery = parsed
        }
        if delivery == .binary, connection.framing != .header {
            return .failure(.invalidParams(path: "params.delivery",
                reason: "binary delivery sends each file as an attachment frame, which only header framing (Content-Length) can carry; this connection speaks NDJSON: use inline, path or none, or reconnect with header framing"))
        }
        let held = (everything.filter { $0.connection === connection }.count)
            + bySession.values.reduce(0) { $0 + $1.filter { $0.connection === connection }.count }
        guard held < Self.maxPerConnection else {
            return .failure(.invalidParams(path: "params", reason: "this connection holds \(held) subscriptions, the most one may; events.unsubscribe one first"))
        }
        if let session = params.session, !sessionExists(session) {
            return .failure(SessionTable.unknown(session))
        }
        let subscription = Subscription(id: "e\(nextNumber)", connection: connection, session: params.session, delivery: delivery)
        nextNumber += 1
        subscriptions[subscription.id] = subscription
        if let session = params.session { bySession[session, default: []].append(subscription) } else { everything.append(subscription) }
        logger.info("subscribed", metadata: [
            "subscription": "\(subscription.id)", "conn": "\(connection.id)", "session": "\(params.session ?? "all")", "delivery": "\(delivery.rawValue)",
        ])
        return .success(EventsSubscribe.Result(subscription: subscription.id, session: params.session, all: all, delivery: delivery.rawValue))
    }

    /// `events.unsubscribe`: only the connection's own subscriptions are found.
    func unsubscribe(_ id: String, on connection: ClientConnection) -> Result<EventsUnsubscribe.Result, RPCError> {
        guard let subscription = subscriptions[id], subscription.connection === connection else {
            return .failure(.invalidParams(path: "params.subscription",
                reason: "no subscription \(JSON.string(.string(id))) on this connection (ids come from events.subscribe; a subscription ends with its connection)"))
        }
        remove(subscription)
        return .success(EventsUnsubscribe.Result(subscription: id))
    }

    /// The connection closed: its subscriptions end.
    func connectionClosed(_ connection: ClientConnection) {
        for subscription in subscriptions.values where subscription.connection === connection {
            remove(subscription)
        }
    }

    private func remove(_ subscription: Subscription) {
        subscriptions[subscription.id] = nil
        if let session = subscription.session {
            bySession[session]?.removeAll { $0 === subscription }
            if bySession[session]?.isEmpty == true { bySession[session] = nil }
        } else {
            everything.removeAll { $0 === subscription }
        }
    }

    // MARK: Publishing

    /// True when something would receive an event of `session` (nil: events of no session):
    /// publishers skip building params nobody reads.
    func follows(session: String?) -> Bool {
        !everything.isEmpty || (session.map { bySession[$0] != nil } ?? false)
    }

    /// Sends `method` to every subscription following `session` (and every `all` one), each
    /// with its `subscription` id and `file` as that subscriber asked.
    func publish(_ method: String, params: [String: JSONValue], session: String?, file: File? = nil) {
        var targets = everything
        if let session, let followers = bySession[session] { targets += followers }
        guard !targets.isEmpty else { return }
        var loaded: Result<[UInt8], ScratchError>?
        var copied: Result<String, ScratchError>?
        for subscription in targets {
            let connection = subscription.connection
            guard !connection.isClosed else { continue }
            guard !connection.isOverLimit else {
                drop(subscription, method)
                continue
            }
            var members = params
            members["subscription"] = .string(subscription.id)
            guard let file, subscription.delivery != .none else {
                members.removeValue(forKey: "attachment")
                connection.send(FileDelivery.notification(method, params: members), attachment: nil)
                continue
            }
            let mime: String
            switch file {
            case .bytes(_, _, let type), .path(_, let type): mime = type
            }
            if subscription.delivery == .path {
                if copied == nil { copied = hostPath(of: file, session: session) }
                switch copied {
                case .success(let path)?:
                    let size = FileDelivery.fileSize(path) ?? 0
                    members["attachment"] = ["bytes": .number(JSONNumber(size)), "mime": .string(mime), "path": .string(path)]
                case .failure(let error)?:
                    members.removeValue(forKey: "attachment")
                    members["error"] = .string("\(error)")
                case nil:
                    break
                }
                connection.send(FileDelivery.notification(method, params: members), attachment: nil)
                continue
            }
            if loaded == nil { loaded = bytes(of: file) }
            switch loaded {
            case .success(let bytes)? where subscription.delivery == .binary && connection.framing == .header:
                members["attachment"] = ["bytes": .number(JSONNumber(bytes.count)), "mime": .string(mime)]
                connection.send(FileDelivery.notification(method, params: members), attachment: bytes)
            case .success(let bytes)?:
                members.removeValue(forKey: "attachment")
                connection.send(FileDelivery.notification(method, params: members, inline: (bytes, mime)), attachment: nil)
            case .failure(let error)?:
                members.removeValue(forKey: "attachment")
                members["error"] = .string("\(error)")
                connection.send(FileDelivery.notification(method, params: members), attachment: nil)
            case nil:
                break
            }
        }
    }

    /// A subscriber over its limit loses this notification; it hears how many it lost once it
    /// has drained (one `events.dropped`, not one per loss).
    private func drop(_ subscription: Subscription, _ method: String) {
        subscription.dropped += 1
        guard !subscription.reportingDrops else { return }
        subscription.reportingDrops = true
        logger.notice("subscriber over its queue limit: dropping its notifications until it drains", metadata: [
            "subscription": "\(subscription.id)", "conn": "\(subscription.connection.id)", "first": "\(method)",
        ])
        subscription.connection.whenDrained { [weak self, subscription] in
            guard let self else { return }
            let count = subscription.dropped
            subscription.dropped = 0
            subscription.reportingDrops = false
            self.logger.notice("subscriber drained", metadata: ["subscription": "\(subscription.id)", "dropped": "\(count)"])
            guard self.subscriptions[subscription.id] === subscription else { return }
            subscription.connection.send(FileDelivery.notification(EventNotification.dropped, params: [
                "subscription": .string(subscription.id), "dropped": .number(JSONNumber(count)),
            ]), attachment: nil)
        }
    }

    // MARK: Files

    private func bytes(of file: File) -> Result<[UInt8], ScratchError> {
        switch file {
        case .bytes(let bytes, _, _):
            return .success(bytes)
        case .path(let path, _):
            // A file the daemon moved out of a workspace itself (session directory, job frames).
            guard let size = FileDelivery.fileSize(path) else { return .failure(ScratchError("cannot read \(path)")) }
            guard size <= FileDelivery.maxSocketBytes else {
                return .failure(ScratchError("\(size) bytes is over the \(FileDelivery.maxSocketBytes)-byte limit of socket delivery; subscribe with delivery path"))
            }
            guard let data = FileManager.default.contents(atPath: path) else { return .failure(ScratchError("cannot read \(path)")) }
            return .success([UInt8](data))
        }
    }

    /// Where path subscribers find the file: where it already is on the host, or a copy written
    /// once into the session's directory (`events/`), which no sandbox sees.
    private func hostPath(of file: File, session: String?) -> Result<String, ScratchError> {
        switch file {
        case .path(let path, _):
            return .success(path)
        case .bytes(let bytes, let name, _):
            let directory = (session.map { state.session($0) } ?? state.root) + "/events"
            copies += 1
            let destination = directory + "/\(copies)-" + name
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                try Data(bytes).write(to: URL(fileURLWithPath: destination), options: .withoutOverwriting)
            } catch {
                return .failure(ScratchError("cannot write \(destination): \(error)"))
            }
            return .success(destination)
        }
    }
}
