import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// The built `blenderctl` executable against a daemon with real Blender, as a terminal user runs
/// it: exit codes, what it prints on success and failure, the files it writes, `--json` output,
/// a session kept across commands, a farm job followed to the end, events from another connection.
@Suite("blenderctl on real Blender", .serialized)
final class BlenderctlTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String

        func json() throws -> JSONValue { try JSON.parse(Array(stdout.utf8), maxDepth: 64) }
    }

    static let twoObjects = """
        import bpy
        print("hello from blender")
        bpy.ops.mesh.primitive_cube_add(size=1)
        bpy.ops.mesh.primitive_cone_add(location=(1.5, 0, 0))
        result = {"objects": len(bpy.context.scene.objects)}
        """

    /// Fails at line 5 on a socket name that does not exist in any Blender.
    static let badSocket = """
        import bpy
        m = bpy.data.materials.new('m')
        m.use_nodes = True
        bsdf = m.node_tree.nodes['Principled BSDF']
        bsdf.inputs['Specularr'].default_value = 0.5
        """

    /// A cube in front of a camera, lit: something a job and render.views can render.
    static let withCamera = """
        import bpy
        s = bpy.context.scene
        bpy.ops.mesh.primitive_cube_add(size=1.5)
        cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))
        cam.location = (0, -8, 0); cam.rotation_euler = (1.5708, 0, 0)
        s.collection.objects.link(cam)
        s.camera = cam
        sun = bpy.data.objects.new('Sun', bpy.data.lights.new('Sun', 'SUN'))
        s.collection.objects.link(sun)
        """

    let directory: String

    init() throws {
        directory = try TemporaryDirectory.make(prefix: "bd-ctl")
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs blenderctl to the end with output in files (a pipe nobody drains could block it).
    func ctl(_ arguments: [String], session: (id: String, token: String)? = nil, stdin: String? = nil) throws -> Run {
        let process = try start(arguments, session: session, name: "run")
        if let pipe = process.standardInput as? Pipe {
            if let stdin { pipe.fileHandleForWriting.write(Data(stdin.utf8)) }
            try pipe.fileHandleForWriting.close()
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: read("run.out"), stderr: read("run.err"))
    }

    func start(_ arguments: [String], session: (id: String, token: String)? = nil, name: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutables.path("blenderctl"))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment
        environment["BLENDERD_SOCKET"] = try BlenderDaemon.daemon().socketPath
        environment["BLENDERD_SESSION"] = session?.id
        environment["BLENDERD_TOKEN"] = session?.token
        process.environment = environment
        _ = FileManager.default.createFile(atPath: "\(directory)/\(name).out", contents: nil)
        _ = FileManager.default.createFile(atPath: "\(directory)/\(name).err", contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: "\(directory)/\(name).out")
        process.standardError = FileHandle(forWritingAtPath: "\(directory)/\(name).err")
        process.standardInput = Pipe()
        try process.run()
        return process
    }

    func read(_ name: String) -> String {
        String(decoding: FileManager.default.contents(atPath: "\(directory)/\(name)") ?? Data(), as: UTF8.self)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = "\(directory)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// `sessions open --json`: a session left open (detached) for later commands.
    func openSession(_ extra: [String] = []) throws -> (id: String, token: String) {
        let opened = try ctl(["sessions", "open", "--json"] + extra)
        #expect(opened.status == 0, "\(opened.stderr)")
        let result = try opened.json()
        return (try #require(result["session"]?.stringValue), try #require(result["token"]?.stringValue))
    }

    @Test func execPrintsOutputValueAndChangesOrTheFailingLineWithHints() throws {
        // Other suites share this daemon and hold sessions of their own meanwhile: only a new
        // session nobody is attached to (what a blenderctl that forgot to close leaves) counts.
        let before = Set(try ctl(["sessions", "--json"]).json()["sessions"]?.arrayValue?.compactMap { $0["session"]?.stringValue } ?? [])
        let good = try file("good.py", Self.twoObjects)
        let ok = try ctl(["exec", good])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("hello from blender"))
        #expect(ok.stdout.contains(#"value: {"objects":2}"#), "\(ok.stdout)")
        #expect(ok.stdout.contains("objects +Cone +Cube"), "\(ok.stdout)")
        #expect(ok.stdout.contains("checkpoint c1"), "\(ok.stdout)")

        let fromStdin = try ctl(["exec", "-", "--json"], stdin: "result = 6 * 7\n")
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        #expect(try fromStdin.json()["value"] == .number(JSONNumber(42)))

        let bad = try file("bad.py", Self.badSocket)
        let failed = try ctl(["exec", bad, "--blender", ">=4"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("KeyError at \(bad):5"), "\(failed.stderr)")
        #expect(failed.stderr.contains("5 | bsdf.inputs['Specularr'].default_value = 0.5"), "\(failed.stderr)")
        #expect(failed.stderr.contains("hint: ") && failed.stderr.contains("Specular IOR Level"), "\(failed.stderr)")

        let failedJSON = try ctl(["exec", bad, "--json"])
        #expect(failedJSON.status == 1)
        let error = try #require(try failedJSON.json()["error"])
        #expect(error["code"] == .number(JSONNumber(-32010)))
        #expect(error["data"]?["line"] == .number(JSONNumber(5)))

        let escape = try file("escape.py", "import subprocess\nsubprocess.run(['ls', '/'])\n")
        let refused = try ctl(["exec", escape])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("SandboxViolation at \(escape):2"), "\(refused.stderr)")
        #expect(refused.stderr.contains("refused: subprocess"), "\(refused.stderr)")

        // A session this command opened is closed again: nothing is left behind.
        let sessions = try ctl(["sessions", "--json"])
        let left = (try sessions.json()["sessions"]?.arrayValue ?? []).filter { listed in
            guard let id = listed["session"]?.stringValue else { return true }
            return !before.contains(id) && listed["attached"] != .bool(true)
        }
        #expect(left.isEmpty, "sessions left open: \(left)")
    }

    @Test func errorsSayWhatToDo() throws {
        let good = try file("good.py", Self.twoObjects)
        let noFit = try ctl(["exec", good, "--blender", ">=99"])
        #expect(noFit.status == 1)
        #expect(noFit.stderr.contains("-32002"))
        #expect(noFit.stderr.contains("available instances:") && noFit.stderr.contains("Blender 4.4"), "\(noFit.stderr)")

        let gone = try ctl(["scene"], session: ("s-no-such", "t-none"))
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("-32001") && gone.stderr.contains("blenderctl sessions"), "\(gone.stderr)")

        let session = try openSession()
        defer { _ = try? ctl(["sessions", "close"], session: session) }
        let noToken = try ctl(["scene", "--session", session.id])
        #expect(noToken.status == 64)
        #expect(noToken.stderr.contains("--token"), "\(noToken.stderr)")
        let wrongToken = try ctl(["scene", "--session", session.id, "--token", "t-wrong"])
        #expect(wrongToken.status == 1)
        let saysBadToken = wrongToken.stderr.contains("bad_token") || wrongToken.stderr.contains("token does not match")
        var why = wrongToken.stderr
        if !saysBadToken {
            // Once seen in a full run: the session just opened was unknown (-32001). What the
            // daemon holds then is what a diagnosis needs.
            why += "\nsession \(session.id); the daemon's sessions now: \((try? ctl(["sessions", "--json"]).stdout) ?? "?")"
        }
        #expect(saysBadToken, "\(why)")
    }

    @Test func aKeptSessionCarriesAcrossCommands() throws {
        let session = try openSession(["--blender", ">=4"])
        let good = try file("good.py", Self.twoObjects)
        #expect(try ctl(["exec", good], session: session).status == 0)

        let scene = try ctl(["scene", "--json"], session: session)
        #expect(try scene.json()["total"] == .number(JSONNumber(2)), "\(scene.stdout)\(scene.stderr)")
        let saved = try ctl(["checkpoints", "save", "--label", "two objects", "--json"], session: session)
        #expect(try saved.json()["label"] == .string("two objects"), "\(saved.stderr)")
        let sphere = try file("sphere.py", "import bpy\nbpy.ops.mesh.primitive_uv_sphere_add(location=(0, 2, 0))\n")
        #expect(try ctl(["exec", sphere], session: session).status == 0)

        let listed = try ctl(["checkpoints", "--json"], session: session)
        let checkpoints = try listed.json()["checkpoints"]?.arrayValue ?? []
        #expect(checkpoints.compactMap { $0["id"]?.stringValue } == ["c1", "c2", "c3"], "\(listed.stdout)")
        #expect(try listed.json()["current"] == .string("c3"))
        let table = try ctl(["checkpoints"], session: session)
        #expect(table.stdout.contains("* c3") && table.stdout.contains("two objects"), "\(table.stdout)")

        let restored = try ctl(["restore", "c2"], session: session)
        #expect(restored.status == 0 && restored.stdout.contains("restored c2"), "\(restored.stdout)\(restored.stderr)")
        let after = try ctl(["scene"], session: session)
        #expect(after.stdout.contains("Cube") && !after.stdout.contains("Sphere"), "\(after.stdout)")

        let list = try ctl(["sessions"])
        #expect(list.stdout.contains(session.id))
        let closed = try ctl(["sessions", "close"], session: session)
        #expect(closed.status == 0, "\(closed.stderr)")
        let afterClose = try ctl(["checkpoints"], session: session)
        #expect(afterClose.status == 1 && afterClose.stderr.contains("-32001"))
    }

    @Test func renderWritesEachViewAndExportWritesTheFile() throws {
        let setup = try file("camera.py", Self.withCamera)
        // --keep leaves the session open and says how to use it.
        let kept = try ctl(["exec", "--keep", "--blender", ">=4", setup])
        #expect(kept.status == 0, "\(kept.stderr)")
        let id = try #require(kept.stderr.firstMatch(of: /BLENDERD_SESSION=(\S+)/)?.output.1)
        let token = try #require(kept.stderr.firstMatch(of: /BLENDERD_TOKEN=(\S+)/)?.output.1)
        let session = (String(id), String(token))
        defer { _ = try? ctl(["sessions", "close"], session: session) }

        let render = try ctl(["render", "--views", "3", "--resolution", "64x36", "--samples", "2", "--out", "views"], session: session)
        #expect(render.status == 0, "\(render.stderr)")
        let names = ["view_000.png", "view_001.png", "view_002.png"]
        for name in names { #expect(render.stdout.contains("views/\(name)"), "\(render.stdout)") }
        let files = try names.map { try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/views/\($0)"))) }
        let stats = try RenderTests.pixelStats(files)
        #expect(stats.count == 3)
        for stat in stats {
            #expect(stat.width == 64 && stat.height == 36)
            #expect((stat.std ?? 0) > 0, "a blank view")
        }

        let viaPath = try ctl(["render", "--views", "2", "--resolution", "32x18", "--samples", "1", "--delivery", "path", "--out", "paths", "--json"], session: session)
        #expect(viaPath.status == 0, "\(viaPath.stderr)")
        let result = try viaPath.json()
        #expect(result["files"]?.arrayValue?.count == 2)
        #expect(result["images"]?.arrayValue?.count == 2)
        #expect(RenderTests.pngSize(try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/paths/view_001.png"))))?.width == 32)

        let export = try ctl(["export", "--format", "glb", "--out", "scene.glb"], session: session)
        #expect(export.status == 0, "\(export.stderr)")
        let glb = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/scene.glb"))
        #expect(glb.prefix(4) == Data("glTF".utf8))
        // An OBJ comes with its .mtl, written beside it under the name the .obj refers to.
        let obj = try ctl(["export", "--format", "obj", "--out", "model/chair.obj", "--json"], session: session)
        #expect(obj.status == 0, "\(obj.stderr)")
        let written = try obj.json()["files_written"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(written.count == 2 && written.first == "model/chair.obj", "\(obj.stdout)")
        let mtl = try #require(written.last)
        #expect(mtl.hasSuffix(".mtl") && FileManager.default.fileExists(atPath: "\(directory)/\(mtl)"))
        let objText = String(decoding: try Data(contentsOf: URL(fileURLWithPath: "\(directory)/model/chair.obj")), as: UTF8.self)
        #expect(objText.contains("mtllib \((mtl as NSString).lastPathComponent)"), "the .obj refers to another .mtl")
    }

    @Test func jobSubmitWatchFollowsEveryFrame() throws {
        let session = try openSession(["--blender", ">=4"])
        defer { _ = try? ctl(["sessions", "close"], session: session) }
        let setup = try file("camera.py", Self.withCamera)
        #expect(try ctl(["exec", setup], session: session).status == 0)

        let job = try ctl(["job", "submit", "--frames", "1-3", "--chunk", "2", "--resolution", "32x18", "--samples", "1",
                           "--output", "frames", "--watch"], session: session)
        #expect(job.status == 0, "\(job.stdout)\(job.stderr)")
        for frame in 1...3 { #expect(job.stdout.contains("frame \(frame): "), "\(job.stdout)") }
        #expect(job.stdout.contains("done: 3/3 frames"), "\(job.stdout)")
        for frame in 1...3 {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(directory)/frames/frame-000\(frame).png")))
            #expect(RenderTests.pngSize(bytes)?.width == 32)
        }
        let id = try #require(job.stdout.firstMatch(of: /job (j\S+):/)?.output.1)
        let status = try ctl(["job", "status", String(id), "--json"])
        #expect(try status.json()["state"] == .string("done"))

        let watchedJSON = try ctl(["job", "submit", "--frames", "1", "--resolution", "32x18", "--samples", "1", "--watch", "--json"], session: session)
        #expect(watchedJSON.status == 0, "\(watchedJSON.stderr)")
        let lines = try watchedJSON.stdout.split(separator: "\n").map { try JSON.parse(Array($0.utf8), maxDepth: 32) }
        #expect(lines.first?["job"]?.stringValue != nil, "the first line is job.submit's result")
        #expect(lines.contains { $0["method"] == .string("job.frame") })
        #expect(lines.last?["params"]?["state"] == .string("done"))

        let nothing = try ctl(["job", "submit", "--frames", "1"])
        #expect(nothing.status == 64 && nothing.stderr.contains("--blend"), "\(nothing.stderr)")
    }

    @Test func eventsShowExecResultsOfAnotherConnection() throws {
        let session = try openSession()
        let follower = try start(["events", "--session", session.id, "--json"], name: "events")
        defer { if follower.isRunning { follower.terminate() } }
        // Wait until it is subscribed (it says so on stderr), then work on the session elsewhere.
        var waited = 0
        while !read("events.err").contains("following"), follower.isRunning, waited < 600 {
            usleep(50_000)
            waited += 1
        }
        #expect(read("events.err").contains("following session \(session.id)"), "\(read("events.err"))")
        let good = try file("good.py", Self.twoObjects)
        #expect(try ctl(["exec", good], session: session).status == 0)
        #expect(try ctl(["sessions", "close"], session: session).status == 0)
        // Following a session ends when it closes.
        follower.waitUntilExit()
        #expect(follower.terminationStatus == 0, "\(read("events.err"))")
        let events = try read("events.out").split(separator: "\n").map { try JSON.parse(Array($0.utf8), maxDepth: 64) }
        let exec = try #require(events.first { $0["method"] == .string("exec.result") }, "\(read("events.out"))")
        #expect(exec["params"]?["ok"] == .bool(true))
        #expect(exec["params"]?["session"] == .string(session.id))
        #expect(exec["params"]?["stdout"]?.stringValue?.contains("hello from blender") == true)
        #expect(events.last?["params"]?["state"] == .string("closed"))
    }

    /// Ctrl-C cancels the running script and closes the session the command opened, instead of
    /// leaving it leased (with Blender still looping) until its idle timeout.
    @Test func ctrlCCancelsTheScriptAndClosesItsSession() throws {
        let client = try BlenderDaemon.client()
        func sessionIDs() throws -> Set<String> {
            Set(try client.call("session.list")["sessions"]?.arrayValue?.compactMap { $0["session"]?.stringValue } ?? [])
        }
        let before = try sessionIDs()
        let loop = try file("loop.py", "import time\nwhile True:\n    time.sleep(0.01)\n")
        let run = try start(["exec", loop, "--timeout-s", "300"], name: "interrupted")
        defer { if run.isRunning { run.terminate() } }
        var opened: Set<String> = []
        for _ in 0..<600 where opened.isEmpty && run.isRunning {
            usleep(50_000)
            opened = try sessionIDs().subtracting(before)
        }
        let session = try #require(opened.first, "blenderctl never opened a session: \(read("interrupted.err"))")
        usleep(1_500_000)  // script.exec follows session.open at once; let the loop run
        let sent = Date()
        kill(run.processIdentifier, SIGINT)
        run.waitUntilExit()
        #expect(Date().timeIntervalSince(sent) < 15, "SIGINT, then SIGTERM and SIGKILL 2 s apart, bound the cancel")
        #expect(run.terminationReason == .exit && run.terminationStatus == 1, "\(run.terminationStatus) \(read("interrupted.err"))")
        let err = read("interrupted.err")
        #expect(err.contains("stopping (cancelling the running call)"), "\(err)")
        #expect(err.contains("-32006") && err.contains("request.cancel"), "\(err)")
        #expect(try !sessionIDs().contains(session), "the command's session outlived it")
    }
}
