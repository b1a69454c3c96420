import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// render.views and scene.export on real Blender, through the daemon, in the strict sandbox:
/// images decode, are not blank, differ between views; every engine on both launchers; the
/// three deliveries; parallel; exports load back in a fresh Blender; a client that leaves
/// cancels its render; a client that never reads costs the daemon a bounded amount of memory.
@Suite("render.views and scene.export on real Blender", .serialized)
struct RenderTests {
    /// Three meshes of different shapes around the origin, so orbit views differ.
    static let scene = """
        import bpy
        bpy.ops.mesh.primitive_cube_add(size=1, location=(0, 0, 0.5))
        bpy.ops.mesh.primitive_cone_add(radius1=0.4, depth=1.2, location=(1.2, 0, 0.6))
        bpy.ops.mesh.primitive_uv_sphere_add(radius=0.35, location=(0, 1.1, 0.35))
        result = len(bpy.context.scene.objects)
        """

    /// What a streaming call produced.
    struct Streamed {
        var result: JSONValue
        var notifications: [(method: String, params: JSONValue)] = []
        /// Attachment frames, in order, each with the index of the notification before it.
        var attachments: [(after: Int, bytes: [UInt8])] = []

        var images: [JSONValue] { notifications.filter { $0.method == "render.image" }.map(\.params) }
        var progress: [JSONValue] { notifications.filter { $0.method == "render.progress" }.map(\.params) }
    }

    static func stream(_ client: BlenderdClient, _ method: String, _ params: JSONValue) throws -> Streamed {
        var streamed = Streamed(result: .null)
        client.onNotification = { streamed.notifications.append(($0.method, $0.params ?? .null)) }
        client.onAttachment = { streamed.attachments.append((streamed.notifications.count - 1, $0)) }
        defer {
            client.onNotification = nil
            client.onAttachment = nil
        }
        streamed.result = try client.call(method, params: params)
        return streamed
    }

    /// The bytes a render.image carried: inline base64, a path, or the attachment frame after it.
    static func bytes(of image: JSONValue, at position: Int, in streamed: Streamed) throws -> [UInt8] {
        let attachment = try #require(image["attachment"], "render.image without attachment: \(image)")
        if let text = attachment["base64"]?.stringValue {
            return [UInt8](try #require(Data(base64Encoded: text)))
        }
        if let path = attachment["path"]?.stringValue {
            return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        let frame = try #require(streamed.attachments.first { $0.after == position }, "no attachment frame after notification \(position)")
        return frame.bytes
    }

    /// Every final-pass image of a call, by index, checked against its announcement.
    static func finalImages(_ streamed: Streamed) throws -> [Int: [UInt8]] {
        var out: [Int: [UInt8]] = [:]
        for (position, note) in streamed.notifications.enumerated() where note.method == "render.image" {
            guard note.params["pass"] == "final" else { continue }
            let bytes = try Self.bytes(of: note.params, at: position, in: streamed)
            #expect(bytes.count == note.params["attachment"]?["bytes"]?.intValue, "attachment.bytes is the file's length")
            #expect(bytes.count == note.params["bytes"]?.intValue)
            out[try #require(note.params["index"]?.intValue)] = bytes
        }
        return out
    }

    struct PixelStats: Decodable {
        let width: Int
        let height: Int
        let std: Double?
        let digest: String?
    }

    /// Decodes the PNGs with the add-on's decoder (Tests/Fixtures/image_stats.py): Swift has no zlib.
    static func pixelStats(_ files: [[UInt8]]) throws -> [PixelStats] {
        let directory = try TemporaryDirectory.make(prefix: "bd-img")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var paths: [String] = []
        for (number, bytes) in files.enumerated() {
            let path = directory + "/\(number).img"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            paths.append(path)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [RealBlender.repositoryRoot + "/Tests/Fixtures/image_stats.py"] + paths
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "image_stats.py failed")
        return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
            try JSONDecoder().decode(PixelStats.self, from: Data($0.utf8))
        }
    }

    /// PNG signature and IHDR size, read in Swift.
    static func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard bytes.count > 24, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
              Array(bytes[12..<16]) == Array("IHDR".utf8) else { return nil }
        func word(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (word(16), word(20))
    }

    /// The images of a call are PNGs of the size asked, not blank, and all different.
    static func expectDistinctViews(_ images: [Int: [UInt8]], count: Int, width: Int, height: Int, _ what: String) throws {
        #expect(images.keys.sorted() == Array(0..<count), "\(what): one image per view")
        let ordered = images.keys.sorted().compactMap { images[$0] }
        for bytes in ordered {
            let size = pngSize(bytes)
            #expect(size?.width == width && size?.height == height, "\(what): \(String(describing: size)), asked \(width)x\(height)")
        }
        let stats = try pixelStats(ordered)
        for stat in stats {
            #expect((stat.std ?? 0) > 2, "\(what): a blank image (luma std \(stat.std ?? -1))")
        }
        #expect(Set(stats.compactMap(\.digest)).count == count, "\(what): views must differ")
    }

    private func close(_ client: BlenderdClient, _ session: String) {
        _ = try? client.call("session.close", params: ["session": .string(session)])
    }

    // MARK: Engines

    /// Cycles, Workbench and EEVEE (one tiny view: EEVEE is slow in software) on each launcher;
    /// progress for every view; the scene as it was afterwards.
    @Test(arguments: ["<4", ">=4.2"])
    func everyEngineOnBothLaunchers(blender: String) throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": .string(blender)])
        defer { close(client, session) }
        let objects = try client.exec(session, Self.scene)["value"]
        #expect(objects == 3)

        let cycles = try Self.stream(client, "render.views", [
            "session": .string(session), "views": 3, "resolution": [64, 36], "samples": 4,
        ])
        try Self.expectDistinctViews(try Self.finalImages(cycles), count: 3, width: 64, height: 36, "Cycles \(blender)")
        #expect(cycles.result["engine"] == "CYCLES")
        #expect(cycles.result["images"]?.arrayValue?.map { $0["index"] } == [0, 1, 2])
        #expect(cycles.result["images"]?.arrayValue?.allSatisfy { !Self.has($0, "attachment") && !Self.has($0, "path") } == true,
                "the result lists images without their bytes")
        for index in 0..<3 {
            let started = cycles.notifications.firstIndex { $0.method == "render.progress" && $0.params["index"]?.intValue == index }
            let done = cycles.notifications.firstIndex { $0.method == "render.image" && $0.params["index"]?.intValue == index }
            #expect(started != nil && done != nil && started! < done!, "view \(index): progress before its image")
        }
        for note in cycles.notifications {
            #expect(note.params["session"]?.stringValue == session && note.params["request"] != nil)
        }

        let workbench = try Self.stream(client, "render.views", [
            "session": .string(session), "views": 2, "resolution": [64, 36], "engine": "WORKBENCH",
        ])
        try Self.expectDistinctViews(try Self.finalImages(workbench), count: 2, width: 64, height: 36, "Workbench \(blender)")
        #expect(workbench.result["engine"] == "BLENDER_WORKBENCH")

        let eevee = try Self.stream(client, "render.views", [
            "session": .string(session), "views": 1, "resolution": [64, 36], "engine": "EEVEE", "samples": 1,
        ])
        let eeveeImages = try Self.finalImages(eevee)
        #expect(eeveeImages.count == 1)
        #expect(eeveeImages[0].flatMap(Self.pngSize)?.width == 64)
        #expect(try Self.pixelStats(Array(eeveeImages.values)).allSatisfy { ($0.std ?? 0) > 2 }, "EEVEE rendered a blank image")
        let engine = eevee.result["engine"]?.stringValue ?? ""
        #expect(blender == "<4" ? engine == "BLENDER_EEVEE" : engine == "BLENDER_EEVEE_NEXT", "EEVEE is \(engine)")

        // Nothing the renders added stays.
        let after = try client.exec(session, "import bpy\nresult = sorted(o.type for o in bpy.context.scene.objects)")["value"]
        #expect(after == ["MESH", "MESH", "MESH"])
    }

    // MARK: Deliveries

    @Test func binaryAndPathDeliveryAndPreview() throws {
        let client = try BlenderDaemon.client(framing: .header)
        let session = try client.openSession(["blender": ">=4.2"])
        defer { close(client, session) }
        _ = try client.exec(session, Self.scene)

        let binary = try Self.stream(client, "render.views", [
            "session": .string(session), "views": 2, "resolution": [64, 36], "samples": 4, "delivery": "binary", "preview": true,
        ])
        #expect(binary.attachments.count == 4, "one attachment frame per image, previews included")
        for frame in binary.attachments {
            let note = binary.notifications[frame.after]
            #expect(note.method == "render.image", "an attachment frame follows its render.image")
            #expect(note.params["attachment"]?["bytes"]?.intValue == frame.bytes.count)
            #expect(!Self.has(note.params["attachment"] ?? .null, "base64"))
        }
        try Self.expectDistinctViews(try Self.finalImages(binary), count: 2, width: 64, height: 36, "binary")
        let passes = binary.images.compactMap { $0["pass"]?.stringValue }
        #expect(passes == ["preview", "preview", "final", "final"], "the preview pass of every view first")
        let previews = try #require(binary.result["previews"]?.arrayValue)
        #expect(previews.map { [$0["width"], $0["height"]] } == [[16, 16], [16, 16]], "a quarter of the size, at least 16 px")

        let path = try Self.stream(client, "render.views", [
            "session": .string(session), "views": 2, "resolution": [64, 36], "samples": 4, "delivery": "path", "format": "PNG",
        ])
        let state = try #require(try client.call("daemon.info")["state_dir"]?.stringValue)
        for image in path.images {
            let file = try #require(image["attachment"]?["path"]?.stringValue)
            #expect(file.hasPrefix(state + "/sessions/" + session + "/renders/"), "\(file) is in the session's directory")
        }
        try Self.expectDistinctViews(try Self.finalImages(path), count: 2, width: 64, height: 36, "path")
        #expect(path.result["images"]?.arrayValue?.allSatisfy { $0["path"]?.stringValue?.hasPrefix(state) == true } == true)

        let exr = try Self.stream(client, "render.views", [
            "session": .string(session), "views": 1, "resolution": [64, 36], "samples": 1, "format": "EXR", "delivery": "binary",
        ])
        #expect(exr.attachments.first?.bytes.starts(with: [0x76, 0x2F, 0x31, 0x01]) == true, "an OpenEXR file")
        #expect(exr.images.first?["mime"] == "image/x-exr")

        // Binary needs header framing: on NDJSON it is refused before anything renders.
        let ndjson = try BlenderDaemon.client()
        let refused = try #require(ndjson.error("render.views", ["session": .string(session), "delivery": "binary"]))
        #expect(refused.code == .invalidParams && refused.data?["path"] == "params.delivery")
    }

    // MARK: Parallel

    @Test func parallelRendersTheSameViews() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { close(client, session) }
        _ = try client.exec(session, Self.scene)
        let params: [String: JSONValue] = ["session": .string(session), "views": 4, "resolution": [64, 36], "samples": 4, "seed": 3]
        let serial = try Self.stream(client, "render.views", .object(params))
        var parallelParams = params
        parallelParams["parallel"] = 2
        let parallel = try Self.stream(client, "render.views", .object(parallelParams))
        let one = try Self.finalImages(serial)
        let many = try Self.finalImages(parallel)
        #expect(Set(many.keys) == Set(one.keys) && many.count == 4)
        #expect(parallel.result["indices"] == [0, 1, 2, 3])
        for index in 0..<4 {
            #expect(many[index].flatMap(Self.pngSize).map { [$0.width, $0.height] } == [64, 36])
        }
        try Self.expectDistinctViews(many, count: 4, width: 64, height: 36, "parallel")
        let instances = parallel.result["instances"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!instances.isEmpty && instances.count <= 3)
        let rendering = Set(parallel.images.compactMap { $0["instance"]?.stringValue })
        #expect(rendering.isSubset(of: Set(instances)))
        // The extra instances went back to the pool; the session's scene is untouched.
        #expect(try client.exec(session, "import bpy\nresult = len(bpy.context.scene.objects)")["value"] == 3)
    }

    // MARK: Exports

    /// Each export, delivered each way, loads back into a fresh Blender with the objects it holds.
    @Test func exportsLoadBackInAFreshBlender() throws {
        let client = try BlenderDaemon.client(framing: .header)
        let session = try client.openSession(["blender": ">=4.2"])
        defer { close(client, session) }
        _ = try client.exec(session, Self.scene)

        let glb = try client.call("scene.export", params: ["session": .string(session), "format": "glb"])
        let glbText = try #require(glb["attachment"]?["base64"]?.stringValue)
        let glbBytes = [UInt8](try #require(Data(base64Encoded: glbText)))
        #expect(glbBytes.starts(with: Array("glTF".utf8)) && glbBytes.count == glb["bytes"]?.intValue)
        #expect(glb["name"] == "scene.glb" && glb["objects"] == 3 && !Self.has(glb, "path"))

        let obj = try client.call("scene.export", params: ["session": .string(session), "format": "obj", "delivery": "path"])
        let objPath = try #require(obj["attachment"]?["path"]?.stringValue)
        let mtl = try #require(obj["files"]?.arrayValue?.first)
        #expect(mtl["name"] == "scene.mtl")
        #expect(FileManager.default.fileExists(atPath: try #require(mtl["attachment"]?["path"]?.stringValue)))

        var announced: [(String, JSONValue)] = []
        var frames: [[UInt8]] = []
        client.onNotification = { announced.append(($0.method, $0.params ?? .null)) }
        client.onAttachment = { frames.append($0) }
        let blend = try client.call("scene.export", params: ["session": .string(session), "format": "blend", "delivery": "binary"])
        let blendBytes = try client.nextAttachment()
        client.onNotification = nil
        client.onAttachment = nil
        #expect(announced.isEmpty && frames.isEmpty, "a single-file export: the result's attachment only")
        #expect(blendBytes.starts(with: Array("BLENDER".utf8)) && blendBytes.count == blend["attachment"]?["bytes"]?.intValue)

        let fresh = try client.openSession(["blender": ">=4.2"])
        defer { close(client, fresh) }
        func imported(_ name: String, _ bytes: [UInt8], _ importer: String) throws -> Int {
            let code = """
                import base64, bpy, os, tempfile
                for o in list(bpy.data.objects): bpy.data.objects.remove(o)
                path = os.path.join(tempfile.mkdtemp(), \(JSON.string(.string(name))))
                open(path, "wb").write(base64.b64decode(\(JSON.string(.string(Data(bytes).base64EncodedString())))))
                \(importer)
                result = len(bpy.context.scene.objects)
                """
            return try #require(try client.exec(fresh, code)["value"]?.intValue)
        }
        #expect(try imported("scene.glb", glbBytes, "bpy.ops.import_scene.gltf(filepath=path)") == 3)
        let objBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: objPath)))
        #expect(try imported("scene.obj", objBytes, "bpy.ops.wm.obj_import(filepath=path)") == obj["objects"]?.intValue)
        let loaded = try client.call("scene.load", params: ["session": .string(fresh), "data": .string(Data(blendBytes).base64EncodedString())])
        #expect(loaded["objects"]?.intValue == blend["objects"]?.intValue)
        #expect(loaded["objects"] == 3)
    }

    // MARK: Vanishing and slow clients

    /// A client that disconnects during a render cancels it: the worker is interrupted (SIGINT,
    /// then SIGTERM: Blender ignores SIGINT while it renders), and the session, taken over from
    /// another connection, is usable within seconds with its scene, not after the remaining views.
    @Test func aClientThatDisconnectsCancelsItsRender() throws {
        let first = try BlenderDaemon.client()
        let opened = try first.call("session.open", params: ["blender": ">=4.2"])
        let session = try #require(opened["session"]?.stringValue)
        let token = try #require(opened["token"])
        _ = try first.exec(session, Self.scene)
        // About 0.3 s a view here: 40 views would keep the worker busy for over 10 s.
        let request = Request(id: 1000, method: "render.views", params: [
            "session": .string(session), "views": 40, "resolution": [320, 180], "samples": 16, "delivery": "path",
        ])
        try first.send(raw: FrameEncoder.message(request.encoded(), framing: .newlineDelimited))
        var firstImage: JSONValue?
        while firstImage == nil {
            let body = try first.nextMessage()
            let message = try JSON.parse(body)
            if message["method"] == "render.image" { firstImage = message["params"] }
        }
        first.close()
        let left = Date()

        let second = try BlenderDaemon.client()
        defer { close(second, session) }
        _ = try second.call("session.resume", params: ["session": .string(session), "token": token])
        let info = try second.call("scene.info", params: ["session": .string(session)])
        let waited = Date().timeIntervalSince(left)
        #expect(info["total"] == 3, "the session's scene is back")
        #expect(waited < 8, "scene.info waited \(waited) s: the render was not cancelled")
        let images = try FileManager.default.contentsOfDirectory(atPath: try #require(
            firstImage?["attachment"]?["path"]?.stringValue.map { ($0 as NSString).deletingLastPathComponent }))
        #expect(images.count < 20, "\(images.count) of 40 views were delivered: rendering went on")
    }

    /// A client that never reads while 20 large images render: the daemon queues no image bytes
    /// past its limit (it keeps file names), its memory stays far below the images' total, and it
    /// answers daemon.ping from another connection throughout. The real executable, so its RSS is
    /// the daemon's alone.
    @Test func aClientThatNeverReadsCostsBoundedMemory() throws {
        let state = try TemporaryDirectory.make(prefix: "bd-state")
        defer { try? FileManager.default.removeItem(atPath: state) }
        let daemon = try DaemonProcess(arguments: [
            "--no-blender", "--bpy-python", try #require(RealBlender.bpyPython), "--warm", "1", "--max-instances", "2",
            "--max-queue-bytes", "\(4 << 20)", "--slow-client-timeout", "300", "--state-dir", state,
        ])
        defer { daemon.terminate() }
        let client = try BlenderdClient(path: daemon.socketPath, timeout: 120)
        let opened = try client.call("session.open")
        let session = try #require(opened["session"]?.stringValue)
        // White noise in the world: every pixel differs, so each 1920x1080 EXR is ~10 MB.
        _ = try client.exec(session, """
            import bpy
            bpy.ops.mesh.primitive_cube_add(size=1)
            world = bpy.data.worlds.new("noise")
            world.use_nodes = True
            bpy.context.scene.world = world
            nodes = world.node_tree.nodes
            noise = nodes.new("ShaderNodeTexWhiteNoise")
            noise.noise_dimensions = "3D"
            world.node_tree.links.new(nodes.new("ShaderNodeTexCoord").outputs["Generated"], noise.inputs["Vector"])
            world.node_tree.links.new(noise.outputs["Color"], nodes["Background"].inputs["Color"])
            """)
        let render: JSONValue = ["session": .string(session), "views": 20, "resolution": [1920, 1080], "samples": 1, "format": "EXR"]
        let workspace = try #require(try client.call("instance.list")["instances"]?.arrayValue?
            .first { $0["session"]?.stringValue == session }?["workspace"]?.stringValue)
        let baseline = try #require(Self.residentBytes(daemon.pid))

        // The slow client asks and never reads again.
        let request = Request(id: 1, method: "render.views", params: render)
        try client.send(raw: FrameEncoder.message(request.encoded(), framing: .newlineDelimited))
        let other = try BlenderdClient(path: daemon.socketPath, timeout: 10)
        var peak = baseline
        var slowestPing = 0.0
        var pending: [String] = []
        let started = Date()
        while Date().timeIntervalSince(started) < 150 {
            let ping = Date()
            _ = try other.call("daemon.ping")
            slowestPing = max(slowestPing, Date().timeIntervalSince(ping))
            peak = max(peak, Self.residentBytes(daemon.pid) ?? 0)
            let directories = (try? FileManager.default.contentsOfDirectory(atPath: workspace + "/.blenderd")) ?? []
            pending = directories.filter { $0.hasPrefix("render-") }.flatMap {
                (try? FileManager.default.contentsOfDirectory(atPath: workspace + "/.blenderd/" + $0)) ?? []
            }
            if pending.contains("view-19.exr") { break }
            usleep(200_000)
        }
        #expect(pending.contains("view-19.exr"), "all 20 views rendered while the client did not read")
        let imageBytes = try FileManager.default.attributesOfItem(atPath: workspace + "/.blenderd/" + (try #require(
            try FileManager.default.contentsOfDirectory(atPath: workspace + "/.blenderd").first { $0.hasPrefix("render-") }))
            + "/view-18.exr")[.size] as? Int ?? 0  // view-19 may still be being written
        #expect(imageBytes > 5 << 20, "large images: \(imageBytes) bytes each")
        #expect(pending.count >= 15, "the images the client could not take wait as files (\(pending.count))")
        let growth = peak - min(peak, baseline)
        #expect(growth < 20 * imageBytes / 4, "RSS grew by \(growth >> 20) MiB for 20 images of \(imageBytes >> 20) MiB")
        #expect(slowestPing < 1, "daemon.ping took \(slowestPing) s")

        // The client leaves: the render is over, its files are removed, the session serves again.
        client.close()
        var left: [String] = pending
        for _ in 0..<50 where !left.isEmpty {
            usleep(100_000)
            let directories = (try? FileManager.default.contentsOfDirectory(atPath: workspace + "/.blenderd")) ?? []
            left = directories.filter { $0.hasPrefix("render-") }
        }
        #expect(left.isEmpty, "the undelivered images are deleted when their client leaves")
        let resumed = try BlenderdClient(path: daemon.socketPath, timeout: 60)
        _ = try resumed.call("session.resume", params: ["session": .string(session), "token": try #require(opened["token"])])
        #expect(try resumed.call("scene.info", params: ["session": .string(session)])["total"] == 1)
        print("never-reading client: baseline \(baseline >> 20) MiB, peak \(peak >> 20) MiB, 20 images of \(imageBytes >> 20) MiB, slowest ping \(Int(slowestPing * 1000)) ms")
    }

    /// Whether an object has a member (`value["k"] == nil` is ambiguous: JSONValue is nil-literal).
    static func has(_ value: JSONValue, _ key: String) -> Bool {
        value.objectValue?[key] != nil
    }

    static func residentBytes(_ pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }
}
