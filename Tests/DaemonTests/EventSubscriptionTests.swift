import BlenderdClient
import BlenderdProtocol
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// events.subscribe/events.unsubscribe bookkeeping over the socket, without Blender (what a
/// subscriber receives is tested on real Blender in tests/python/test_events.py).
@Suite("event subscriptions")
struct EventSubscriptionTests {
    private func rpcError(_ body: () throws -> Void) -> RPCError? {
        do { try body() } catch ClientError.rpc(let error) { return error } catch { Issue.record("\(error)") }
        return nil
    }

    @Test func idsAreUniqueAcrossConnectionsAndOnlyTheOwnerEndsOne() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let first = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        let second = try BlenderdClient(path: daemon.socketPath, framing: .header, timeout: 10)
        let a = try first.call(EventsSubscribe.self, .init(all: true))
        let b = try second.call(EventsSubscribe.self, .init(all: true, delivery: "binary"))
        #expect(a.subscription != b.subscription)
        #expect(a.delivery == "none" && b.delivery == "binary" && a.all && a.session == nil)
        // Another connection's id is not found (and stays alive for its owner).
        let foreign = rpcError { _ = try first.call(EventsUnsubscribe.self, .init(subscription: b.subscription)) }
        #expect(foreign?.code == .invalidParams && foreign?.data?["path"] == "params.subscription")
        #expect(try second.call(EventsUnsubscribe.self, .init(subscription: b.subscription)) == .init(subscription: b.subscription))
        let twice = rpcError { _ = try second.call(EventsUnsubscribe.self, .init(subscription: b.subscription)) }
        #expect(twice?.code == .invalidParams)
        #expect(try first.call(EventsUnsubscribe.self, .init(subscription: a.subscription)).unsubscribed)
    }

    @Test func aConnectionHoldsAtMostSixtyFourAndGetsRoomBackByUnsubscribing() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        var ids: [String] = []
        for _ in 0..<64 { ids.append(try client.call(EventsSubscribe.self, .init(all: true)).subscription) }
        #expect(Set(ids).count == 64)
        let full = rpcError { _ = try client.call(EventsSubscribe.self, .init(all: true)) }
        #expect(full?.code == .invalidParams && full?.data?["path"] == "params")
        _ = try client.call(EventsUnsubscribe.self, .init(subscription: ids[10]))
        #expect(try client.call(EventsSubscribe.self, .init(all: true, delivery: "path")).delivery == "path")
        // Another connection has its own allowance.
        let other = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        #expect(try other.call(EventsSubscribe.self, .init(all: true)).all)
    }

    @Test func aConnectionLeavingWithSubscriptionsDoesNotDisturbTheDaemon() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let leaving = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        for _ in 0..<64 { _ = try leaving.call(EventsSubscribe.self, .init(all: true)) }
        leaving.close()
        // Its subscriptions are removed as it closes (EventBus.connectionClosed); from outside,
        // the daemon serves on and new subscriptions work.
        let next = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        let subscribed = try next.call(EventsSubscribe.self, .init(all: true))
        #expect(subscribed.subscription.hasPrefix("e"))
        #expect(try next.call(DaemonPing.self, .init()).pong)
    }
}
