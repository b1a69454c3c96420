import BlenderdProtocol
import DaemonTestSupport
import JSONRPC
import Testing

/// Farm jobs' wire format: job.submit's frame lists, and the notifications as openrpc.json
/// documents them (`x-notifications`).
@Suite("farm job protocol")
struct JobProtocolTests {
    @Test func frameLists() throws {
        #expect(try FrameSpec.parse("1-5") == [1, 2, 3, 4, 5])
        #expect(try FrameSpec.parse("1-10,20,30-40:2") == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 32, 34, 36, 38, 40])
        #expect(try FrameSpec.parse(" 7 , 3-4 , 4 , 0 ") == [0, 3, 4, 7])
        #expect(try FrameSpec.parse("1-10:4") == [1, 5, 9])
        #expect(try FrameSpec.parse("1048574") == [FrameSpec.maxFrame])
        #expect(try FrameSpec.parse("0-99999").count == FrameSpec.maxFrames)
        for bad in ["", " ", "10-1", "1-10:0", "5:2", "-3", "1,,2", "1,", "a", "1-2-3", "1048575", "1.5", "0-100000", "１"] {
            #expect(throws: FrameSpec.ParseError.self, "\(bad)") { try FrameSpec.parse(bad) }
        }
        #expect(FrameSpec.chunks([1, 2, 3, 4, 5], size: 2) == [[1, 2], [3, 4], [5]])
        #expect(FrameSpec.chunks([1, 2], size: 4) == [[1, 2]])
    }

    static func notificationSchema(_ name: String, in document: JSONValue) -> JSONValue? {
        document["x-notifications"]?.arrayValue?.first { $0["name"]?.stringValue == name }?["x-params-schema"]
    }

    @Test func notificationsConformToTheirSchemas() throws {
        let document = try OpenRPCConformanceTests.document()
        let encoder = JSONValueEncoder()
        let samples: [String: JSONValue] = [
            JobProgress.name: try encoder.encode(JobProgress.Params(job: "j1", state: "running", done: 3, total: 24, failed: 0,
                                                                     running: 8, elapsedMs: 1530.5)),
            JobFrame.name: try encoder.encode(JobFrame.Params(job: "j1", frame: 7, path: "/out/frame-0007.png", width: 64, height: 36,
                                                               bytes: 2048, mime: "image/png", instance: "i3", durationMs: 41.2)),
        ]
        for (name, sample) in samples {
            let schema = try #require(Self.notificationSchema(name, in: document), "openrpc.json documents no \(name)")
            let problems = SchemaCheck(document: document).problems(sample, schema, at: "params")
            #expect(problems.isEmpty, "\(name): \(problems)")
        }
        // Drift is caught: a renamed member breaks the schema.
        let schema = try #require(Self.notificationSchema(JobFrame.name, in: document))
        var renamed = try #require(samples[JobFrame.name]?.objectValue)
        renamed["duration"] = renamed.removeValue(forKey: "duration_ms")
        #expect(!SchemaCheck(document: document).problems(.object(renamed), schema, at: "params").isEmpty)
    }

    @Test func submitParamsDecodeTheWireNames() throws {
        let params = try JSONValueDecoder(rejectUnknownKeys: true).decode(JobSubmit.Params.self, from: [
            "session": "s1", "checkpoint": "c2", "frames": "1-24", "chunk": 3, "resolution": [64, 36], "timeout_s": 60,
            "output": "/out", "blender": ">=4.2", "camera": "Cam", "format": "png", "engine": "CYCLES", "samples": 2,
        ])
        #expect(params.timeoutS == 60 && params.chunk == 3 && params.resolution == [64, 36] && params.checkpoint == "c2")
    }
}
