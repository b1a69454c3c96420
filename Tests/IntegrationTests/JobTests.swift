import BlenderdClient
import DaemonTestSupport
import Foundation
import InstancePool
import JSONRPC
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Farm jobs on real Blender (bpy 4.4) in the strict sandbox, on a daemon of their own with at
/// most two instances: every frame exactly once despite a worker killed mid-chunk, cancel, a
/// session getting an instance while a job runs, bad params.
@Suite("farm jobs on real Blender", .serialized)
struct JobTests {
    /// Two instance slots, so "a job over two instances" is what the pool can give; one launcher
    /// (bpy 4.4 starts in half a second), since with a sandbox every chunk gets a fresh process.
    static let shared: Result<TestDaemon, any Error> = Result {
        let launchers = try RealBlender.launchers().filter { $0.kind == .module }
        let daemon = try TestDaemon(configure: { configuration in
            configuration.pool = PoolConfiguration(launchers: launchers, warm: 1, maxInstances: 2, queueLimitPerClient: 8)
            configuration.execTimeoutMilliseconds = 60_000
            configuration.sandboxTier = .strict
            configuration.cancelGraceMilliseconds = 1_000
        })
        daemon.stopAtExit()
        return daemon
    }

    /// A cube sliding along X over frames 1–24 in front of the scene camera, lit; Cycles without
    /// adaptive sampling, so a frame takes a steady ~0.1 s at 64×36.
    static let scene = """
        import bpy
        s = bpy.context.scene
        s.frame_start, s.frame_end = 1, 24
        s.render.engine = 'CYCLES'
        s.cycles.use_adaptive_sampling = False
        bpy.ops.mesh.primitive_cube_add(size=1.5, location=(-3, 0, 0))
        cube = bpy.context.object
        cube.keyframe_insert('location', frame=1)
        cube.location = (3, 0, 0)
        cube.keyframe_insert('location', frame=24)
        cam = bpy.data.objects.new('Cam', bpy.data.cameras.new('Cam'))
        cam.location = (0, -10, 0); cam.rotation_euler = (1.5708, 0, 0)
        s.collection.objects.link(cam)
        s.camera = cam
        sun = bpy.data.objects.new('Sun', bpy.data.lights.new('Sun', 'SUN'))
        sun.rotation_euler = (0.6, 0.2, 0.3)
        s.collection.objects.link(sun)
        """

    /// Notifications as they arrive (the client reads them while it waits for replies).
    final class Recorder {
        var frames: [JSONValue] = []
        var progress: [JSONValue] = []
        var onFrame: ((JSONValue) -> Void)?

        func attach(to client: BlenderdClient) {
            client.onNotification = { [unowned self] note in
                guard let params = note.params else { return }
                switch note.method {
                case "job.frame":
                    frames.append(params)
                    onFrame?(params)
                case "job.progress":
                    progress.append(params)
                default:
                    break
                }
            }
        }
    }

    private func connect() throws -> BlenderdClient {
        try BlenderdClient(path: try Self.shared.get().socketPath, timeout: 120)
    }

    /// Polls job.status until `done` says so (or the time is up); notifications are recorded meanwhile.
    private func waitFor(_ client: BlenderdClient, _ job: String, seconds: Double = 240,
                         until done: (JSONValue) -> Bool) throws -> JSONValue {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            let status = try client.call("job.status", params: ["job": .string(job)])
            if done(status) || Date() > deadline { return status }
            usleep(100_000)
        }
    }

    private static func ended(_ status: JSONValue) -> Bool {
        ["done", "failed", "cancelled"].contains(status["state"]?.stringValue ?? "")
    }

    /// A session holding `scene`, its current checkpoint's path (in the state directory).
    private func sessionWithScene(_ client: BlenderdClient, _ code: String = scene) throws -> (session: String, checkpoint: String) {
        let session = try client.openSession(["blender": ">=4.2"])
        let ran = try client.exec(session, code)
        let checkpoint = try #require(ran["checkpoint"]?.stringValue)
        let stateDir = try #require(try client.call("daemon.info")["state_dir"]?.stringValue)
        return (session, "\(stateDir)/sessions/\(session)/checkpoints/\(checkpoint).blend")
    }

    /// Width and height from a PNG's IHDR, after checking the signature and that it ends with IEND.
    private static func pngSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data)
        guard bytes.count > 45, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
              Array(bytes[12..<16]) == Array("IHDR".utf8), Array(bytes[(bytes.count - 8)..<(bytes.count - 4)]) == Array("IEND".utf8)
        else { return nil }
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }

    @Test func everyFrameExactlyOnceWithAnInstanceKilledMidJob() throws {
        let client = try connect()
        let killer = try connect()
        let recorder = Recorder()
        recorder.attach(to: client)
        let (session, _) = try sessionWithScene(client)
        var killed: (instance: String, frame: Int)?
        recorder.onFrame = { frame in
            // The first frame of a chunk just arrived: three more are being rendered there. Kill
            // that worker (SIGKILL, as a crash would) while they are.
            guard killed == nil, let id = frame["instance"]?.stringValue, let number = frame["frame"]?.intValue,
                  number % 4 == 1 else { return }
            let instances = (try? killer.call("instance.list"))?["instances"]?.arrayValue ?? []
            guard let pid = instances.first(where: { $0["id"]?.stringValue == id })?["pid"]?.intValue else { return }
            Glibc.kill(pid_t(pid), SIGKILL)
            killed = (id, number)
        }
        let submitted = try client.call("job.submit", params: [
            "session": .string(session), "frames": "1-24", "chunk": 4, "engine": "CYCLES", "samples": 2, "resolution": [64, 36],
        ])
        let job = try #require(submitted["job"]?.stringValue)
        #expect(submitted["frames"] == 24 && submitted["chunks"] == 6 && submitted["blender"] == ">=4.4", "\(submitted)")
        // The job has its own copy of the scene: the session can go (and give its instance to the job).
        _ = try client.call("session.close", params: ["session": .string(session)])

        let status = try waitFor(client, job, until: Self.ended)
        let killedInstance = try #require(killed, "no job.frame arrived to aim the kill at; status: \(status)")
        #expect(status["state"] == "done", "\(status)")
        #expect(status["done"] == 24 && status["total"] == 24 && status["failed"] == [], "\(status)")
        #expect((status["retries"]?.intValue ?? 0) >= 1, "the killed chunk was retried: \(status)")
        #expect(status["instances"] == [])

        // Exactly once: 24 job.frame notifications, one per frame, each naming a file that is there.
        let numbers = recorder.frames.compactMap { $0["frame"]?.intValue }
        #expect(numbers.count == 24 && Set(numbers) == Set(1...24), "frames announced: \(numbers.sorted())")
        let framesDir = try #require(status["frames_dir"]?.stringValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: framesDir).sorted()
        #expect(files == (1...24).map { String(format: "frame-%04d.png", $0) })
        var contents = Set<Data>()
        for frame in recorder.frames {
            let path = try #require(frame["path"]?.stringValue)
            #expect(path.hasPrefix(framesDir + "/"))
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(Self.pngSize(data).map { [$0.0, $0.1] } == [64, 36], "\(path) is not a 64×36 PNG")
            #expect(frame["width"] == 64 && frame["height"] == 36 && frame["bytes"]?.intValue == data.count)
            contents.insert(data)
        }
        #expect(contents.count > 20, "the cube moves: frames differ (\(contents.count) distinct of 24)")
        // Rendered on more than the two first instances: the killed one's chunk went elsewhere.
        let used = Set(recorder.frames.compactMap { $0["instance"]?.stringValue })
        #expect(used.contains(killedInstance.instance) && used.count > 2, "\(used)")
        let last = try #require(recorder.progress.last)
        #expect(last["state"] == "done" && last["done"] == 24 && last["running"] == 0, "\(last)")
        let done = recorder.progress.compactMap { $0["done"]?.intValue }
        #expect(done == done.sorted(), "done never goes back: \(done)")
    }

    @Test func cancelStopsARunningJobAndReturnsItsInstances() throws {
        let client = try connect()
        let recorder = Recorder()
        recorder.attach(to: client)
        let (session, checkpoint) = try sessionWithScene(client)
        // A copy: closing the session deletes its checkpoints.
        let directory = try TemporaryDirectory.make(prefix: "bd-job")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: checkpoint, toPath: directory + "/shot.blend")
        _ = try client.call("session.close", params: ["session": .string(session)])

        let submitted = try client.call("job.submit", params: [
            "blend": .string(directory + "/shot.blend"), "frames": "1-200", "chunk": 4, "samples": 2, "resolution": [64, 36],
            "output": .string(directory + "/frames"),
        ])
        let job = try #require(submitted["job"]?.stringValue)
        #expect(submitted["frames_dir"]?.stringValue == directory + "/frames")
        let running = try waitFor(client, job, seconds: 60) { ($0["instances"]?.arrayValue?.count ?? 0) == 2 && ($0["done"]?.intValue ?? 0) >= 4 }
        #expect(running["state"] == "running" && running["instances"]?.arrayValue?.count == 2, "\(running)")

        // Sharing: while the job holds both instances, a session still gets one, within a chunk.
        let started = Date()
        let other = try client.openSession(["blender": ">=4.2"])
        #expect(Date().timeIntervalSince(started) < 30)
        _ = try client.exec(other, "import bpy")
        let during = try client.call("job.status", params: ["job": .string(job)])
        #expect((during["instances"]?.arrayValue?.count ?? 0) <= 1, "the job kept to its share: \(during)")
        _ = try client.call("session.close", params: ["session": .string(other)])

        let cancelled = try client.call("job.cancel", params: ["job": .string(job)])
        #expect(cancelled == ["cancelled": true, "state": "cancelled"])
        let after = try waitFor(client, job, seconds: 20) { $0["instances"] == [] }
        #expect(after["state"] == "cancelled" && after["instances"] == [] && after["reason"] == "job.cancel", "\(after)")
        let done = after["done"]?.intValue ?? 0
        #expect(done >= 4 && done < 200, "\(after)")
        // Nothing of the job is left on an instance: no instance stays leased.
        let deadline = Date().addingTimeInterval(20)
        var busy: [JSONValue] = []
        repeat {
            busy = try client.call("instance.list")["instances"]?.arrayValue?.filter { $0["state"] == "busy" } ?? []
            if busy.isEmpty { break }
            usleep(200_000)
        } while Date() < deadline
        #expect(busy.isEmpty, "\(busy)")
        // The frames rendered before the cancel are there, each announced once; none after.
        let numbers = recorder.frames.compactMap { $0["frame"]?.intValue }
        #expect(numbers.count == Set(numbers).count)
        let settled = try client.call("job.status", params: ["job": .string(job)])
        #expect(settled["done"]?.intValue == numbers.count)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/frames")
        #expect(files.count == numbers.count)
        #expect(recorder.progress.last?["state"] == "cancelled")
        // A second cancel changes nothing.
        #expect(try client.call("job.cancel", params: ["job": .string(job)]) == ["cancelled": false, "state": "cancelled"])
    }

    @Test func inlineSceneJPEGFromAClientThatLeftAndJobsThatCannotRender() throws {
        let client = try connect()
        let (session, checkpoint) = try sessionWithScene(client)
        let data = try Data(contentsOf: URL(fileURLWithPath: checkpoint)).base64EncodedString()
        let output = try TemporaryDirectory.make(prefix: "bd-jpg")
        defer { try? FileManager.default.removeItem(atPath: output) }
        // Submitted from a connection that closes at once: the job is not tied to it.
        let submitter = try connect()
        let submitted = try submitter.call("job.submit", params: [
            "data": .string(data), "frames": "2,4", "chunk": 1, "format": "jpeg", "engine": "workbench", "resolution": [32, 18],
            "output": .string(output),
        ])
        submitter.close()
        let job = try #require(submitted["job"]?.stringValue)
        let status = try waitFor(client, job, until: Self.ended)
        #expect(status["state"] == "done" && status["done"] == 2 && status["chunks"] == 2, "\(status)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output).sorted() == ["frame-0002.jpg", "frame-0004.jpg"])

        // A scene without a camera: the worker refuses the first chunk (-32602) and the job fails
        // at once with that reason for every frame, without retrying.
        _ = try client.exec(session, "import bpy\nbpy.context.scene.camera = None")
        let failing = try client.call("job.submit", params: ["session": .string(session), "frames": "1-8", "resolution": [32, 18]])
        let failed = try waitFor(client, try #require(failing["job"]?.stringValue), until: Self.ended)
        #expect(failed["state"] == "failed" && failed["done"] == 0 && failed["retries"] == 0, "\(failed)")
        let reasons = failed["failed"]?.arrayValue ?? []
        #expect(reasons.count == 8 && reasons.allSatisfy { $0["reason"]?.stringValue?.contains("camera") == true }, "\(reasons)")

        // A chunk that can never finish in time: each try's worker is killed at the limit (-32004),
        // the chunk goes to a fresh instance, and after the third try its frames are failed.
        _ = try client.exec(session, "import bpy\nbpy.context.scene.camera = bpy.data.objects['Cam']")
        let slow = try client.call("job.submit", params: [
            "session": .string(session), "frames": "1-2", "chunk": 2, "samples": 2, "resolution": [64, 36], "timeout_s": 0.05,
        ])
        let timedOut = try waitFor(client, try #require(slow["job"]?.stringValue), until: Self.ended)
        #expect(timedOut["state"] == "failed" && timedOut["retries"] == 2 && timedOut["done"] == 0, "\(timedOut)")
        let why = timedOut["failed"]?.arrayValue?.compactMap { $0["reason"]?.stringValue } ?? []
        #expect(why.count == 2 && why.allSatisfy { $0.hasPrefix("failed 3 times") && $0.contains("did not finish within") }, "\(why)")
        _ = try client.call("session.close", params: ["session": .string(session)])
    }

    @Test func badParamsAndUnknownJobs() throws {
        let client = try connect()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { _ = try? client.call("session.close", params: ["session": .string(session)]) }
        let cases: [(JSONValue, String)] = [
            (["session": .string(session), "frames": "24-1"], "params.frames"),
            (["session": .string(session), "frames": "1-24", "chunk": 0], "params.chunk"),
            (["session": .string(session), "frames": "1-24", "resolution": [4, 4]], "params.resolution"),
            (["session": .string(session), "frames": "1-24", "output": "relative"], "params.output"),
            (["frames": "1-24"], "params"),
            // A session without a checkpoint yet: nothing to render.
            (["session": .string(session), "frames": "1-24"], "params.session"),
            (["session": .string(session), "frames": "1-24", "checkpoint": "c9"], "params.checkpoint"),
        ]
        for (params, path) in cases {
            let error = try #require(client.error("job.submit", params), "\(params)")
            #expect(error.code == .invalidParams && error.data?["path"]?.stringValue == path, "\(params): \(error)")
        }
        let stateDir = try #require(try client.call("daemon.info")["state_dir"]?.stringValue)
        let inside = try #require(client.error("job.submit", ["data": "QkxFTkRFUi12MzA0UkVOREg=", "frames": "1", "output": .string(stateDir + "/x")]))
        #expect(inside.code == .invalidParams && inside.data?["path"] == "params.output")
        for method in ["job.status", "job.cancel"] {
            let unknown = try #require(client.error(method, ["job": "jnope"]))
            #expect(unknown.code == .invalidParams && unknown.data?["path"] == "params.job", "\(unknown)")
        }
        // Another connection's session is not this one's to render.
        let stranger = try connect()
        let error = try #require(stranger.error("job.submit", ["session": .string(session), "frames": "1"]))
        #expect(error.code == .unauthorized, "\(error)")
    }
}
