import BlenderdProtocol
import JSONRPC

/// `events.subscribe` and `events.unsubscribe` (EventBus.swift holds the subscriptions).
extension Daemon {
    func registerEventMethods(_ table: MethodTable, events: EventBus, sessions: SessionTable) {
        table.register(EventsSubscribe.self) { params, connection, reply in
            reply(events.subscribe(params, on: connection) { sessions.sessions[$0] != nil })
        }
        table.register(EventsUnsubscribe.self) { params, connection, reply in
            reply(events.unsubscribe(params.subscription, on: connection))
        }
    }
}
