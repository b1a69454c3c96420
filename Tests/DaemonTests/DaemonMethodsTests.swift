import BlenderdClient
import BlenderdProtocol
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

@Suite("daemon.info and daemon.ping over both framings")
struct DaemonMethodsTests {
    @Test(arguments: [Framing.newlineDelimited, .header])
    func infoAnswersInBothFramings(framing: Framing) throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, framing: framing, timeout: 10)
        let info = try client.call(DaemonInfo.self, .init())
        #expect(info.name == "blenderd")
        #expect(info.version == BlenderdVersion.daemon)
        #expect(info.protocolVersion == BlenderdVersion.protocolVersion)
        #expect(info.capabilities.framings == ["ndjson", "header"])
        #expect(info.capabilities.methods.contains("daemon.ping"))
        #expect(info.connections == 1)
        #expect(info.pid == Int(getpid()))
        #expect(info.uptimeS >= 0)
        let pong = try client.call(DaemonPing.self, .init())
        #expect(pong.pong)
    }

    @Test func connectionCountFollowsClients() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let first = try BlenderdClient(path: daemon.socketPath)
        let second = try BlenderdClient(path: daemon.socketPath, framing: .header)
        #expect(try first.call(DaemonInfo.self, .init()).connections == 2)
        second.close()
        // The daemon notices the close asynchronously; poll briefly.
        var count = 2
        for _ in 0..<100 where count != 1 {
            count = try first.call(DaemonInfo.self, .init()).connections
            if count != 1 { usleep(10_000) }
        }
        #expect(count == 1)
    }

    @Test func registryMatchesDaemonMethods() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath)
        let info = try client.call(DaemonInfo.self, .init())
        #expect(info.capabilities.methods == MethodRegistry.names)
    }

    @Test func pingAcceptsAbsentOrEmptyParamsButNotPositional() throws {
        let daemon = try TestDaemon()
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath)
        #expect(try client.call("daemon.ping", params: nil)["pong"] == .bool(true))
        #expect(try client.call("daemon.ping", params: .object([:]))["pong"] == .bool(true))
        do {
            _ = try client.call("daemon.ping", params: .array([]))
            Issue.record("positional params must be refused")
        } catch .rpc(let error) {
            #expect(error.code == .invalidParams)
            #expect(error.data != nil)
        }
    }
}
