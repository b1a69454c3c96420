import JSONRPC

/// `events.subscribe`: this connection follows one session's events, or every session's and
/// instance's (`all`), as notifications that each carry the subscription's id
/// (protocol/README.md, "Subscriptions").
public enum EventsSubscribe: RPCMethod {
    public static let name = "events.subscribe"

    public struct Params: Codable, Sendable, Equatable {
        /// Exactly one of `session` and `all: true`.
        public var session: String?
        public var all: Bool?
        /// "inline", "binary", "path" or "none" (default): how render images and job frames reach
        /// this subscriber.
        public var delivery: String?

        public init(session: String? = nil, all: Bool? = nil, delivery: String? = nil) {
            self.session = session
            self.all = all
            self.delivery = delivery
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        /// "e1", "e2", …: unique in the daemon's run; every notification of it carries it.
        public var subscription: String
        public var session: String?
        public var all: Bool
        public var delivery: String

        public init(subscription: String, session: String?, all: Bool, delivery: String) {
            self.subscription = subscription
            self.session = session
            self.all = all
            self.delivery = delivery
        }
    }
}

/// `events.unsubscribe`: ends one of this connection's subscriptions.
public enum EventsUnsubscribe: RPCMethod {
    public static let name = "events.unsubscribe"

    public struct Params: Codable, Sendable, Equatable {
        public var subscription: String
        public init(subscription: String) { self.subscription = subscription }
    }

    public struct Result: Codable, Sendable, Equatable {
        public var subscription: String
        public var unsubscribed: Bool
        public init(subscription: String, unsubscribed: Bool = true) {
            self.subscription = subscription
            self.unsubscribed = unsubscribed
        }
    }
}

/// How a subscriber wants the files of the streams it follows.
public enum EventDelivery: String, Sendable, CaseIterable {
    /// Metadata only: `bytes` and `mime`, no attachment.
    case none
    case inline
    case binary
    case path
}

/// Notifications only subscribers get (the stream notifications they also get are
/// `StreamNotification`'s and `job.progress`/`job.frame`, with `subscription` added).
public enum EventNotification {
    /// `{subscription, session, request?, ok, duration_ms, stdout, value?, changes?, checkpoint?, error?}`
    public static let execResult = "exec.result"
    /// `{subscription, session, checkpoint, label?, auto}`
    public static let checkpointSaved = "checkpoint.saved"
    /// `{subscription, session, state, checkpoint?, reason?}`
    public static let sessionState = "session.state"
    /// `{subscription, instance, state, session?, reason?}`
    public static let instanceState = "instance.state"
    /// `{subscription, dropped}`: notifications this subscription lost while its connection was
    /// over its queue limit.
    public static let dropped = "events.dropped"

    public static let all = [execResult, checkpointSaved, sessionState, instanceState, dropped]
}

/// `session.state`'s states.
public enum SessionStateChange: String, Sendable, CaseIterable {
    case opened, closed, expired, restored, resumed
}
