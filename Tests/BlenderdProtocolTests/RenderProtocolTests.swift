import BlenderdProtocol
import DaemonTestSupport
import JSONRPC
import Testing

/// render.views and scene.export on the wire: params by their wire names, the notifications and
/// the daemon-built export result as openrpc.json documents them.
@Suite("render and export protocol")
struct RenderProtocolTests {
    static func image(_ index: Int, path: String? = nil) -> RenderedImage {
        RenderedImage(index: index, width: 64, height: 36, mime: "image/png", engine: "CYCLES", device: "CPU", durationMs: 41.5,
                      bytes: 2048, pass: "final", camera: "orbit-\(index)",
                      orbit: ["azimuth_deg": 45, "elevation_deg": 25, "distance": 3.3, "lens": 50], instance: "i3", path: path)
    }

    static func renderResult() -> RenderViews.Result {
        RenderViews.Result(
            images: [image(0), image(1, path: "/state/sessions/s1/renders/1-ab/view-1.png")], previews: [image(0)],
            engine: "CYCLES", device: "CPU", denoise: ["requested": false, "applied": false], durationMs: 812,
            added: ["light": true, "world": true], views: 2, indices: [0, 1], resolution: [64, 36], format: "PNG", samples: nil,
            notes: ["samples apply to Cycles and EEVEE"], instances: ["i3", "i5"], delivery: "inline", firstImageMs: 120)
    }

    /// A notification's params schema: openrpc.json documents notifications in `x-notifications`
    /// (OpenRPC has no notification object).
    static func notificationSchema(_ name: String, in document: JSONValue) -> JSONValue? {
        document["x-notifications"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["x-params-schema"]
    }

    @Test func paramsDecodeTheWireNames() throws {
        let render = try JSONValueDecoder(rejectUnknownKeys: true).decode(RenderViews.Params.self, from: [
            "session": "s1", "views": 3, "resolution": [64, 36], "engine": "EEVEE", "samples": 4, "denoise": true, "device": "cpu",
            "format": "EXR", "transparent": true, "seed": 7, "preview": true, "parallel": 2, "delivery": "binary", "timeout_s": 90,
        ])
        #expect(render.timeoutS == 90 && render.parallel == 2 && render.resolution == [64, 36] && render.delivery == "binary")
        let export = try JSONValueDecoder(rejectUnknownKeys: true).decode(SceneExport.Params.self, from: [
            "session": "s1", "format": "obj", "selection": ["Chair"], "delivery": "path", "timeout_s": 30,
        ])
        #expect(export.selection == ["Chair"] && export.timeoutS == 30)
    }

    @Test func notificationsConformToTheirSchemas() throws {
        let document = try OpenRPCConformanceTests.document()
        let check = SchemaCheck(document: document)
        var image = try #require(try JSONValueEncoder().encode(Self.image(0)).objectValue)
        image.merge(["session": "s1", "request": 7, "view": 1, "views": 2]) { _, new in new }
        var inline = image
        inline["attachment"] = ["bytes": 2048, "mime": "image/png", "base64": "iVBORw0KGgo="]
        var binary = image
        binary["attachment"] = ["bytes": 2048, "mime": "image/png"]
        binary["request"] = "r-7"
        var path = image
        path["attachment"] = ["bytes": 2048, "mime": "image/png", "path": "/state/sessions/s1/renders/1-ab/view-0.png"]
        let samples: [(String, JSONValue)] = [
            (StreamNotification.renderProgress, ["session": "s1", "request": 7, "index": 1, "view": 2, "views": 5, "pass": "final",
                                                 "elapsed_ms": 512.3, "samples_done": 9, "samples_total": 16, "instance": "i3"]),
            (StreamNotification.renderProgress, ["session": "s1", "request": .null, "index": 0, "view": 1, "views": 1, "pass": "preview",
                                                 "elapsed_ms": 0.004, "instance": "i3"]),
            (StreamNotification.renderImage, .object(inline)),
            (StreamNotification.renderImage, .object(binary)),
            (StreamNotification.renderImage, .object(path)),
            (StreamNotification.exportFile, ["session": "s1", "request": 9, "name": "scene.mtl", "bytes": 420, "mime": "model/mtl",
                                             "attachment": ["bytes": 420, "mime": "model/mtl"]]),
        ]
        for (name, sample) in samples {
            let schema = try #require(Self.notificationSchema(name, in: document), "openrpc.json documents no \(name)")
            let problems = check.problems(sample, schema, at: "params")
            #expect(problems.isEmpty, "\(name): \(problems)")
        }
        #expect(Set(StreamNotification.all).isSubset(of: Set(document["x-notifications"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])))
        // Drift is caught: a renamed member, an attachment without its length.
        let schema = try #require(Self.notificationSchema(StreamNotification.renderImage, in: document))
        var renamed = inline
        renamed["duration"] = renamed.removeValue(forKey: "duration_ms")
        #expect(!check.problems(.object(renamed), schema, at: "params").isEmpty)
        var noLength = inline
        noLength["attachment"] = ["mime": "image/png", "base64": "iVBORw0KGgo="]
        #expect(!check.problems(.object(noLength), schema, at: "params").isEmpty)
    }

    /// scene.export's result is built by the daemon from the worker's (SessionTable+Export.swift).
    @Test func exportResultsConformToTheSchema() throws {
        let document = try OpenRPCConformanceTests.document()
        let schema = try #require(OpenRPCConformanceTests.methods(document)[SceneExport.name]?["result"]?["schema"])
        let base: [String: JSONValue] = ["name": "scene.obj", "bytes": 133_009, "mime": "model/obj", "format": "obj", "objects": 7,
                                         "operator": "wm.obj_export", "duration_ms": 21.4]
        var inline = base
        inline["delivery"] = "inline"
        inline["attachment"] = ["bytes": 133_009, "mime": "model/obj", "base64": "IyBCbGVuZGVy"]
        inline["files"] = [["name": "scene.mtl", "bytes": 420, "mime": "model/mtl", "attachment": ["bytes": 420, "mime": "model/mtl", "base64": "Iw=="]]]
        var binary = base
        binary["delivery"] = "binary"
        binary["attachment"] = ["bytes": 133_009, "mime": "model/obj"]
        binary["files"] = [["name": "scene.mtl", "bytes": 420, "mime": "model/mtl"]]
        for sample in [inline, binary] {
            let problems = SchemaCheck(document: document).problems(.object(sample), schema, at: "result")
            #expect(problems.isEmpty, "\(problems)")
        }
        var noAttachment = binary
        noAttachment["attachment"] = nil
        #expect(!SchemaCheck(document: document).problems(.object(noAttachment), schema, at: "result").isEmpty)
    }
}
