import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// LL3M's inner loop on real Blender: run code, get exactly what happened, or an error that
/// points at the submitted line with a hint for the fix; and the pool survives bad scripts.
@Suite("script.exec on real Blender", .serialized)
struct ScriptExecTests {
    @Test func versionRoutingPicksTheRightLauncher() throws {
        let client = try BlenderDaemon.client()
        let modern = try client.call("session.open", params: ["blender": ">=4.2"])
        #expect(modern["blender"] == "4.4.0")
        #expect(modern["kind"] == "module")
        let legacy = try client.call("session.open", params: ["blender": "<4"])
        #expect(legacy["blender"]?.stringValue?.hasPrefix("3.4") == true)
        #expect(legacy["kind"] == "executable")
        for (opened, expected) in [(modern, "4.4"), (legacy, "3.4")] {
            let session = try #require(opened["session"]?.stringValue)
            let result = try client.exec(session, "import bpy\nresult = bpy.app.version_string")
            #expect(result["value"]?.stringValue?.hasPrefix(expected) == true)
            _ = try client.call("session.close", params: ["session": .string(session)])
        }
    }

    @Test func execReportsOutputValueAndChanges() throws {
        let client = try BlenderDaemon.client(framing: .header)
        let session = try client.openSession(["blender": "4.4"])
        defer { _ = try? client.call("session.close", params: ["session": .string(session)]) }
        let result = try client.exec(session, """
            import bpy, sys
            print("hello")
            print("warn", file=sys.stderr)
            bpy.ops.mesh.primitive_cube_add(size=2, location=(1, 2, 3))
            result = {"objects": len(bpy.data.objects), "where": list(bpy.context.object.location)}
            """)
        #expect(result["stdout"] == "hello\n")
        #expect(result["stderr"] == "warn\n")
        #expect(result["value"]?["where"] == [1.0, 2.0, 3.0])
        #expect(result["changes"]?["objects"]?["added"]?.arrayValue?.isEmpty == false)
        #expect(result["duration_ms"]?.doubleValue != nil)
        // The scene persists between calls of one session; Python variables do not.
        let again = try client.exec(session, "import bpy\nresult = [o.name for o in bpy.data.objects if o.type == 'MESH']")
        #expect(again["value"]?.arrayValue?.count == 1)
    }

    @Test func errorsPointAtTheSubmittedLineWithHints() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { _ = try? client.call("session.close", params: ["session": .string(session)]) }
        let syntax = try #require(client.error("script.exec", ["session": .string(session), "code": "x = 1\ny = (\nz = 3\n"]))
        #expect(syntax.code == .scriptError)
        #expect(syntax.data?["type"] == "SyntaxError")
        #expect(syntax.data?["line"]?.intValue == 2 || syntax.data?["line"]?.intValue == 3)

        let runtime = try #require(client.error("script.exec", ["session": .string(session), "code": "a = 1\nb = 2\nc = undefined_name\n"]))
        #expect(runtime.data?["type"] == "NameError")
        #expect(runtime.data?["line"]?.intValue == 3)

        // Principled BSDF's "Specular" became "Specular IOR Level" in Blender 4: the hint says so.
        let renamed = try #require(client.error("script.exec", ["session": .string(session), "code": """
            import bpy
            m = bpy.data.materials.new("m")
            m.use_nodes = True
            m.node_tree.nodes["Principled BSDF"].inputs["Specular"].default_value = 0.5
            """]))
        #expect(renamed.code == .scriptError)
        #expect(renamed.data?["line"]?.intValue == 4)
        let hints = renamed.data?["hints"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(hints.contains { $0.contains("Specular IOR Level") }, "\(hints)")

        let exit = try #require(client.error("script.exec", ["session": .string(session), "code": "import sys\nsys.exit(2)"]))
        #expect(exit.data?["type"] == "SystemExit")
        // The instance survived sys.exit().
        #expect(try client.exec(session, "result = 7")["value"] == 7)
    }

    @Test func crashIsReportedAndThePoolRecovers() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { _ = try? client.call("session.close", params: ["session": .string(session)]) }
        let before = try client.call("session.list")["sessions"]?.arrayValue?.first { $0["session"]?.stringValue == session }?["instance"]
        let crash = try #require(client.error("script.exec", [
            "session": .string(session), "code": "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)",
        ]))
        #expect(crash.code == .instanceCrashed)
        #expect(crash.data?["exit"]?["signal"]?.intValue == 11)
        #expect(crash.data?["session"] == .string(session))
        // The next call runs on a fresh instance.
        #expect(try client.exec(session, "result = 41 + 1")["value"] == 42)
        let after = try client.call("session.list")["sessions"]?.arrayValue?.first { $0["session"]?.stringValue == session }?["instance"]
        #expect(after != nil && after != before)

        let exited = try #require(client.error("script.exec", ["session": .string(session), "code": "import os\nos._exit(3)"]))
        #expect(exited.code == .instanceCrashed)
        #expect(exited.data?["exit"]?["code"]?.intValue == 3)
        #expect(try client.exec(session, "result = 1")["value"] == 1)
    }

    @Test func infiniteLoopTimesOutWithinThreeSeconds() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { _ = try? client.call("session.close", params: ["session": .string(session)]) }
        let start = MonotonicClock.nanoseconds()
        let timeout = try #require(client.error("script.exec", ["session": .string(session), "code": "while True:\n    pass\n", "timeout_s": 2]))
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(timeout.code == .timeout)
        #expect(elapsed >= 2 && elapsed < 3, "took \(elapsed) s")
        #expect(try client.exec(session, "result = 'alive'")["value"] == "alive")
    }

    @Test func twoSessionsRunAtOnceOnTwoInstances() throws {
        let first = try BlenderDaemon.client()
        let second = try BlenderDaemon.client()
        let a = try first.openSession(["blender": "4.4"])
        let b = try second.openSession(["blender": "3.4"])
        defer {
            _ = try? first.call("session.close", params: ["session": .string(a)])
            _ = try? second.call("session.close", params: ["session": .string(b)])
        }
        // Both sleep 1.5 s; run concurrently the pair takes well under 3 s.
        let start = MonotonicClock.nanoseconds()
        let done = DispatchSemaphore(value: 0)
        let handOff = ClientBox(second)
        let other = Thread {
            _ = try? handOff.client.exec(b, "import time\ntime.sleep(1.5)")
            done.signal()
        }
        other.start()
        _ = try first.exec(a, "import time\ntime.sleep(1.5)")
        done.wait()
        let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
        #expect(elapsed < 2.6, "took \(elapsed) s")
    }
}

/// Hands a client to one other thread, which alone uses it until it signals (the blocking client
/// is not thread-safe, only movable).
final class ClientBox: @unchecked Sendable {
    let client: BlenderdClient
    init(_ client: BlenderdClient) { self.client = client }
}
