import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// Checkpoints and recovery on real Blender in the strict sandbox: a bad script never loses the
/// scene the last good one left.
@Suite("checkpoints and recovery on real Blender", .serialized)
struct CheckpointTests {
    private func objects(_ client: BlenderdClient, _ session: String) throws -> [String] {
        let value = try client.exec(session, "import bpy\nresult = sorted(o.name for o in bpy.data.objects)")["value"]
        return value?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    private func close(_ client: BlenderdClient, _ session: String) {
        _ = try? client.call("session.close", params: ["session": .string(session)])
    }

    @Test(arguments: ["<4", ">=4.2"])
    func everySuccessfulExecIsCheckpointedAndRestorable(blender: String) throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": .string(blender)])
        defer { close(client, session) }
        let first = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_cube_add()")
        let c1 = try #require(first["checkpoint"]?.stringValue)
        let second = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_uv_sphere_add()")
        let c2 = try #require(second["checkpoint"]?.stringValue)
        #expect(c1 != c2)
        #expect(try objects(client, session) == ["Cube", "Sphere"])

        let list = try client.call("scene.checkpoints", params: ["session": .string(session)])
        let ids = list["checkpoints"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        #expect(ids.contains(c1) && ids.contains(c2))
        #expect(list["policy"] == "auto")
        for checkpoint in list["checkpoints"]?.arrayValue ?? [] {
            #expect((checkpoint["bytes"]?.intValue ?? 0) > 10_000, "an uncompressed .blend: \(checkpoint)")
        }

        let restored = try client.call("scene.restore", params: ["session": .string(session), "checkpoint": .string(c1)])
        #expect(restored["checkpoint"]?.stringValue == c1)
        #expect(try objects(client, session) == ["Cube"])
        #expect(try client.call("scene.checkpoints", params: ["session": .string(session)])["current"] != nil)

        let unknown = try #require(client.error("scene.restore", ["session": .string(session), "checkpoint": "c999"]))
        #expect(unknown.code == .invalidParams)
        #expect(unknown.data?["path"] == "params.checkpoint")
    }

    @Test func labelledCheckpointUnderManualPolicy() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2", "checkpoint": "manual"])
        defer { close(client, session) }
        let run = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_cube_add()")
        #expect(run["checkpoint"] == .null)
        let saved = try client.call("scene.checkpoint", params: ["session": .string(session), "label": "one cube"])
        let id = try #require(saved["id"]?.stringValue)
        #expect(saved["label"] == "one cube")
        #expect(saved["auto"] == false)
        _ = try client.exec(session, "import bpy\nfor o in list(bpy.data.objects): bpy.data.objects.remove(o)")
        #expect(try objects(client, session) == [])
        _ = try client.call("scene.restore", params: ["session": .string(session), "checkpoint": .string(id)])
        #expect(try objects(client, session) == ["Cube"])

        let bad = try #require(client.error("session.open", ["checkpoint": "sometimes"]))
        #expect(bad.code == .invalidParams)
        #expect(bad.data?["path"] == "params.checkpoint")

        // This daemon's instances are strict: asking for another tier is -32002 with the usual data.
        let tier = try #require(client.error("session.open", ["sandbox": "standard"]))
        #expect(tier.code == .noInstance)
        #expect(tier.data?["requirements"] != nil && tier.data?["available"] != nil, "\(tier)")
        #expect(tier.data?["reason"]?.stringValue?.contains("strict") == true)
        let strict = try client.openSession(["sandbox": "strict", "blender": "<4"])
        close(client, strict)
    }

    @Test func crashRestoresTheLastCheckpointIntoAFreshInstance() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": "<4"])
        defer { close(client, session) }
        let saved = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_monkey_add()")
        let checkpoint = try #require(saved["checkpoint"]?.stringValue)
        let crash = try #require(client.error("script.exec", [
            "session": .string(session), "code": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)",
        ]))
        #expect(crash.code == .instanceCrashed)
        #expect(crash.data?["exit"]?["signal"]?.intValue == 11)
        #expect(crash.data?["restored_checkpoint"]?.stringValue == checkpoint, "\(crash)")
        #expect(try objects(client, session) == ["Suzanne"])
    }

    @Test func timeoutRestoresTheLastCheckpoint() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { close(client, session) }
        let saved = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_cylinder_add()")
        let checkpoint = try #require(saved["checkpoint"]?.stringValue)
        let timeout = try #require(client.error("script.exec", [
            "session": .string(session), "code": "import bpy\nbpy.ops.mesh.primitive_cube_add()\nwhile True: pass", "timeout_s": 1,
        ]))
        #expect(timeout.code == .timeout)
        #expect(timeout.data?["restored_checkpoint"]?.stringValue == checkpoint)
        // The cube the runaway script made is gone with its instance; the cylinder is back.
        #expect(try objects(client, session) == ["Cylinder"])
    }

    @Test func aFailedScriptIsRolledBackSoTheFixedOneRunsOnAClearScene() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { close(client, session) }
        let saved = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_cube_add()")
        let checkpoint = try #require(saved["checkpoint"]?.stringValue)
        let failed = try #require(client.error("script.exec", [
            "session": .string(session), "code": "import bpy\nbpy.ops.mesh.primitive_plane_add()\nraise ValueError('half done')",
        ]))
        #expect(failed.code == .scriptError)
        #expect(failed.data?["restored_checkpoint"]?.stringValue == checkpoint)
        #expect(try objects(client, session) == ["Cube"])
    }

    /// request.cancel on the same connection: SIGINT stops a Python loop (KeyboardInterrupt in
    /// the worker), the scene goes back to the current checkpoint, the instance survives.
    @Test func cancelInterruptsARunningScript() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { close(client, session) }
        let saved = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_cone_add()")
        let checkpoint = try #require(saved["checkpoint"]?.stringValue)
        let instance = try client.call("session.list")["sessions"]?.arrayValue?.first { $0["session"]?.stringValue == session }?["instance"]

        try client.send(raw: Array(#"{"jsonrpc":"2.0","id":"long","method":"script.exec","params":{"session":"\#(session)","code":"import bpy\nbpy.ops.mesh.primitive_cube_add()\nimport time\nwhile True: time.sleep(0.01)"}}"#.utf8) + [0x0a])
        Thread.sleep(forTimeInterval: 0.5)
        let start = MonotonicClock.nanoseconds()
        try client.send(raw: Array(#"{"jsonrpc":"2.0","id":"stop","method":"request.cancel","params":{"id":"long"}}"#.utf8) + [0x0a])
        var replies: [String: JSONValue] = [:]
        while replies.count < 2 {
            let message = try JSON.parse(client.nextMessage())
            if let id = message["id"]?.stringValue { replies[id] = message }
        }
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(replies["stop"]?["result"]?["cancelled"] == true)
        #expect(replies["stop"]?["result"]?["stage"] == "interrupt")
        let error = try #require(replies["long"]?["error"])
        #expect(error["code"]?.intValue == -32006)
        #expect(error["data"]?["reason"] == "request.cancel")
        #expect(error["data"]?["restored_checkpoint"]?.stringValue == checkpoint)
        #expect(elapsed < 2, "SIGINT alone stopped it in \(elapsed) s")
        #expect(try objects(client, session) == ["Cone"])
        let after = try client.call("session.list")["sessions"]?.arrayValue?.first { $0["session"]?.stringValue == session }?["instance"]
        #expect(after == instance, "an interrupted script leaves its instance alive")

        let unknown = try #require(client.error("request.cancel", ["id": "nothing-running"]))
        #expect(unknown.code == .invalidParams)
    }

    /// A script that swallows KeyboardInterrupt gets SIGTERM, then SIGKILL: the session goes on
    /// on a fresh instance at its checkpoint.
    @Test func cancelEscalatesToKillingAScriptThatIgnoresInterrupts() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": "<4"])
        defer { close(client, session) }
        let saved = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_torus_add()")
        let checkpoint = try #require(saved["checkpoint"]?.stringValue)
        let stubborn = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True: pass"
        let request: JSONValue = ["jsonrpc": "2.0", "id": 7, "method": "script.exec",
                                  "params": ["session": .string(session), "code": .string(stubborn)]]
        try client.send(raw: Array(JSON.string(request).utf8) + [0x0a])
        Thread.sleep(forTimeInterval: 0.5)
        try client.send(raw: Array(#"{"jsonrpc":"2.0","id":8,"method":"request.cancel","params":{"id":7}}"#.utf8) + [0x0a])
        var replies: [Int: JSONValue] = [:]
        while replies.count < 2 {
            let message = try JSON.parse(client.nextMessage())
            if let id = message["id"]?.intValue { replies[id] = message }
        }
        let error = try #require(replies[7]?["error"])
        #expect(error["code"]?.intValue == -32006)
        #expect(error["data"]?["stage"] == "killed")
        #expect(error["data"]?["restored_checkpoint"]?.stringValue == checkpoint)
        #expect(try objects(client, session) == ["Torus"])
    }

    /// Out of memory: the sandbox's address-space limit turns a memory bomb into a MemoryError;
    /// the instance is replaced anyway (Blender after a failed allocation is not trusted) and the
    /// scene comes back from the checkpoint.
    @Test func memoryBombReplacesTheInstanceAndRestores() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { close(client, session) }
        let saved = try client.exec(session, "import bpy\nbpy.ops.mesh.primitive_ico_sphere_add()")
        let checkpoint = try #require(saved["checkpoint"]?.stringValue)
        let bomb = try #require(client.error("script.exec", [
            // One allocation past the limit fails at once; a loop of touched blocks would take tens
            // of seconds and real RAM to reach the same MemoryError.
            "session": .string(session), "code": "blob = bytearray(64 << 30)", "timeout_s": 60,
        ]))
        #expect(bomb.data?["type"] == "MemoryError", "\(bomb)")
        #expect(bomb.data?["instance_replaced"] == true)
        #expect(bomb.data?["restored_checkpoint"]?.stringValue == checkpoint)
        #expect(try objects(client, session) == ["Icosphere"])
    }

    /// What a session writes in its directory stays there while it lives and is gone once it
    /// closes (with the process that ran it: every session gets a fresh one).
    @Test func theWorkspaceIsEmptiedWhenTheSessionCloses() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": "<4"])
        let wrote = try client.exec(session, "import os\npath = os.path.join(os.environ['HOME'], 'notes.txt')\nopen(path, 'w').write('x')\nresult = path")
        let path = try #require(wrote["value"]?.stringValue)
        #expect(FileManager.default.fileExists(atPath: path), "the workspace is the same path outside the sandbox")
        let instances = try client.call("instance.list")["instances"]?.arrayValue ?? []
        let mine = try #require(instances.first { $0["session"]?.stringValue == session })
        #expect(path.hasPrefix(try #require(mine["workspace"]?.stringValue)))
        #expect(mine["sandbox"]?["tier"] == "strict")
        close(client, session)
        // The session's process is stopped and its workspace deleted in the background.
        var gone = false
        for _ in 0..<100 where !gone {
            gone = !FileManager.default.fileExists(atPath: path)
            if !gone { Thread.sleep(forTimeInterval: 0.05) }
        }
        #expect(gone, "the workspace is deleted within 5 s of session.close")
    }
}
