import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// Who may use a session, what cannot be had, and how waiting is shared — on real Blender.
@Suite("sessions on real Blender", .serialized)
struct SessionRulesTests {
    @Test func sessionsBelongToTheirConnectionUntilResumed() throws {
        let owner = try BlenderDaemon.client()
        let opened = try owner.call("session.open", params: ["blender": "4.4"])
        let session = try #require(opened["session"]?.stringValue)
        let token = try #require(opened["token"]?.stringValue)
        let stranger = try BlenderDaemon.client()
        let refused = try #require(stranger.error("script.exec", ["session": .string(session), "code": "result = 1"]))
        #expect(refused.code == .unauthorized)
        #expect(refused.data?["reason"] == "not_owner")
        let badToken = try #require(stranger.error("session.resume", ["session": .string(session), "token": "t0"]))
        #expect(badToken.data?["reason"] == "bad_token")
        // The scene survives the hand-over.
        _ = try owner.exec(session, "import bpy\nbpy.ops.mesh.primitive_monkey_add()")
        owner.close()
        let resumed = try stranger.call("session.resume", params: ["session": .string(session), "token": .string(token)])
        #expect(resumed["session"] == .string(session))
        let names = try stranger.exec(session, "import bpy\nresult = sorted(o.name for o in bpy.data.objects)")
        #expect(names["value"]?.arrayValue?.contains("Suzanne") == true)
        _ = try stranger.call("session.close", params: ["session": .string(session)])
        let gone = try #require(stranger.error("script.exec", ["session": .string(session), "code": "pass"]))
        #expect(gone.code == .unknownSession)
        #expect(gone.data?["session"] == .string(session))
    }

    @Test func impossibleRequirementsSayWhatIsAvailable() throws {
        let client = try BlenderDaemon.client()
        let tooNew = try #require(client.error("session.open", ["blender": ">=9"]))
        #expect(tooNew.code == .noInstance)
        let available = tooNew.data?["available"]?.arrayValue ?? []
        let versions = Set(available.compactMap { $0["blender"]?.stringValue })
        #expect(versions.contains("4.4.0"), "\(versions)")
        #expect(available.contains { $0["blender"]?.stringValue?.hasPrefix("3.4") == true })
        let gpu = try #require(client.error("session.open", ["device": "gpu"]))
        #expect(gpu.code == .noInstance)
        let badRange = try #require(client.error("session.open", ["blender": ">=banana"]))
        #expect(badRange.code == .invalidParams)
        #expect(badRange.data?["path"] == "params.blender")
        let typo = try #require(client.error("session.open", ["blendr": "4.4"]))
        #expect(typo.data?["path"] == "params.blendr")
    }

    @Test func resetLeavesTheNextSessionAnEmptyScene() throws {
        let client = try BlenderDaemon.client()
        let first = try client.openSession(["blender": "4.4"])
        _ = try client.exec(first, "import bpy\nfor i in range(5): bpy.ops.mesh.primitive_cube_add()")
        _ = try client.call("session.close", params: ["session": .string(first)])
        let second = try client.openSession(["blender": "4.4"])
        defer { _ = try? client.call("session.close", params: ["session": .string(second)]) }
        let count = try client.exec(second, "import bpy\nresult = len(bpy.data.objects)")
        #expect(count["value"] == 0)
    }

    /// 10 clients pipeline 10 `session.open` each while at most 3 instances exist: every call
    /// gets exactly one answer (a session, or -32029 when its client's queue is full), and
    /// sessions are handed out round robin across clients rather than first come first served.
    @Test func queuedOpensAreFairBoundedAndAnswered() throws {
        let clients = try (0..<10).map { _ in try BlenderDaemon.client() }
        for client in clients {
            var burst: [UInt8] = []
            for index in 0..<10 {
                burst += Array(#"{"jsonrpc":"2.0","id":\#(index),"method":"session.open","params":{"blender":"4.4"}}"#.utf8) + [10]
            }
            try client.send(raw: burst)
        }
        var answered = Array(repeating: 0, count: clients.count)
        var closesOutstanding = Array(repeating: 0, count: clients.count)
        var grants: [Int] = []
        var overloaded = 0
        // Serve: read whichever client has a message; close every granted session at once.
        // A close's reply and the client's next grant may arrive in either order.
        var idleRounds = 0
        while (answered.contains { $0 < 10 } || closesOutstanding.contains { $0 > 0 }) && idleRounds < 150 {
            var progressed = false
            for (index, client) in clients.enumerated() {
                client.timeout = 0.02
                guard let body = try? client.nextMessage() else { continue }
                progressed = true
                let reply = try JSON.parse(body, maxDepth: 64)
                if reply["id"] == "close" {
                    #expect(reply["result"]?["closed"] == true, "\(JSON.string(reply))")
                    closesOutstanding[index] -= 1
                    continue
                }
                answered[index] += 1
                if let session = reply["result"]?["session"] {
                    grants.append(index)
                    closesOutstanding[index] += 1
                    try client.send(raw: Array(#"{"jsonrpc":"2.0","id":"close","method":"session.close","params":{"session":\#(JSON.string(session))}}"#.utf8) + [10])
                } else {
                    #expect(reply["error"]?["code"] == -32029, "\(JSON.string(reply))")
                    overloaded += 1
                }
            }
            idleRounds = progressed ? 0 : idleRounds + 1
        }
        #expect(answered.allSatisfy { $0 == 10 })
        #expect(grants.count + overloaded == 100)
        #expect(overloaded > 0, "the per-client queue limit (8) must have refused some")
        // Fairness: among the first 20 grants no client got more than 4.
        let early = Dictionary(grouping: grants.prefix(20), by: { $0 }).mapValues(\.count)
        #expect(early.values.max() ?? 0 <= 4, "first grants: \(Array(grants.prefix(20)))")
    }
}
