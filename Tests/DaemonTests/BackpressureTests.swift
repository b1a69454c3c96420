import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// A client that does not read its replies makes the daemon stop reading its requests (memory
/// stays bounded); one that reads late loses nothing; one that never reads is closed.
@Suite("backpressure")
struct BackpressureTests {
    static let pings = 20_000

    private func burst(_ count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in 0..<count {
            bytes += Array(#"{"jsonrpc":"2.0","method":"daemon.ping","id":\#(id)}"#.utf8) + [10]
        }
        return bytes
    }

    @Test func lateReaderGetsEveryReply() throws {
        let daemon = try TestDaemon(configure: {
            $0.maxQueueBytes = 64 << 10
        })
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, timeout: 20)
        // Write from another thread: once the daemon pauses, our writes block until we read.
        let payload = burst(Self.pings)
        let fd = client.fileDescriptor
        let writer = Thread { try? BlenderdClient.writeAll(payload, to: fd) }
        writer.start()
        usleep(300_000)
        var seen = Set<Int>()
        while seen.count < Self.pings {
            let reply = try JSON.parse(try client.nextMessage(), maxDepth: 16)
            guard let id = reply["id"]?.intValue, reply["result"]?["pong"] == .bool(true) else {
                Issue.record("unexpected reply \(JSON.string(reply))")
                return
            }
            seen.insert(id)
        }
        #expect(seen.count == Self.pings)
        #expect(try client.call("daemon.ping")["pong"] == .bool(true))
    }

    @Test func readerThatNeverReadsIsClosedAndOthersAreServed() throws {
        let daemon = try TestDaemon(configure: {
            $0.maxQueueBytes = 64 << 10
            $0.slowClientTimeoutMilliseconds = 300
        })
        defer { daemon.stop() }
        let stuck = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        let fd = stuck.fileDescriptor
        let payload = burst(Self.pings)
        let writer = Thread { try? BlenderdClient.writeAll(payload, to: fd) }
        writer.start()
        // While the stuck client is paused, others are answered promptly.
        let other = try BlenderdClient(path: daemon.socketPath, timeout: 5)
        #expect(try other.call("daemon.ping")["pong"] == .bool(true))
        usleep(800_000)
        // The daemon has given up on the stuck client: draining what reached our socket buffer
        // ends in EOF well before all replies arrive.
        var received = 0
        var closed = false
        while !closed {
            do {
                _ = try stuck.nextMessage()
                received += 1
            } catch {
                closed = true
            }
        }
        #expect(received < Self.pings)
        let info = try other.call("daemon.info", params: .object([:]))
        #expect(info["connections"] == .number(JSONNumber(1)))
    }
}
