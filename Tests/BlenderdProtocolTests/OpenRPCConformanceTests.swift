import BlenderdProtocol
import DaemonTestSupport
import Foundation
import JSONRPC
import Sandbox
import Testing

/// `protocol/openrpc.json` is the contract; the Swift registry must name exactly its methods,
/// and each typed result must satisfy the schema's required fields.
@Suite("openrpc.json equals the method registry")
struct OpenRPCConformanceTests {
    static func document() throws -> JSONValue {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("protocol/openrpc.json")
        return try JSON.parse([UInt8](try Data(contentsOf: url)), maxDepth: 128)
    }

    static func methods(_ document: JSONValue) -> [String: JSONValue] {
        var byName: [String: JSONValue] = [:]
        for method in document["methods"]?.arrayValue ?? [] {
            if let name = method["name"]?.stringValue { byName[name] = method }
        }
        return byName
    }

    @Test func registryAndSpecNameTheSameMethods() throws {
        let spec = Self.methods(try Self.document())
        #expect(spec.keys.sorted() == MethodRegistry.names)
    }

    @Test func specDeclaresEveryErrorCode() throws {
        let document = try Self.document()
        let declared = Set((document["components"]?["errors"]?.objectValue ?? [:]).values.compactMap { $0["code"]?.intValue })
        let codes: [ErrorCode] = [
            .parseError, .invalidRequest, .methodNotFound, .invalidParams, .internalError,
            .unknownSession, .noInstance, .sandboxViolation, .timeout, .instanceCrashed, .cancelled,
            .scriptError, .renderError, .unauthorized, .overloaded,
        ]
        for code in codes {
            #expect(declared.contains(code.rawValue), "openrpc.json lacks error \(code.rawValue)")
        }
    }

    /// Encodes a sample of each typed result and validates it against the method's result
    /// schema, so a renamed Swift property cannot silently drift from the documented wire name.
    /// Results the worker produces (JSON passed through) are validated from real Blender output
    /// in IntegrationTests.ResultSchemaTests instead.
    @Test func typedResultsConformToTheirSchemas() throws {
        let document = try Self.document()
        let spec = Self.methods(document)
        let instance = InstanceInfo(
            id: "i1", state: "ready", kind: "module", headless: true, blender: "4.4.0", python: "3.11.7",
            engines: ["CYCLES"], devices: [["type": "CPU", "name": "cpu", "id": "CPU"]], gpu: nil, pid: 42,
            rssBytes: 1 << 20, jobs: 0, session: nil, uptimeS: 1.5)
        let sandbox = SandboxReport(tier: .strict, layers: SandboxReport.LayerName.allCases.map { name in
            name == .landlock || name == .auditHook
                ? .init(name: name, status: .planned, reason: "applied by the worker")
                : .init(name: name, status: .applied, detail: "here")
        })
        var sandboxed = instance
        sandboxed.id = "i2"
        sandboxed.session = "s1"
        sandboxed.sandbox = sandbox
        sandboxed.workspace = "/state/instances/i2"
        let checkpoint = CheckpointInfo(id: "c2", label: nil, bytes: 912_384, createdAt: "2026-11-21T07:47:47.125Z",
                                        auto: true, exec: 3, durationMs: 20.5)
        let labelled = CheckpointInfo(id: "c3", label: "chair", bytes: 912_384, createdAt: "2026-11-21T07:48:00.000Z",
                                      auto: false, exec: 3, durationMs: nil)
        let opened = SessionOpen.Result(session: "s1", token: "t1", instance: "i1", blender: "4.4.0", kind: "module", headless: true)
        let encoder = JSONValueEncoder()
        let samples: [String: JSONValue] = [
            DaemonPing.name: try encoder.encode(DaemonPing.Result()),
            DaemonInfo.name: try encoder.encode(
                DaemonInfo.Result(
                    version: "0", protocolVersion: "0",
                    capabilities: .init(framings: ["ndjson"], attachments: true, maxFrameBytes: 1, methods: ["daemon.ping"]),
                    uptimeS: 0, connections: 0, pid: 1, instances: 1, sessions: 0, sandbox: sandbox, stateDir: "/state")),
            InstanceList.name: try encoder.encode(InstanceList.Result(instances: [instance, sandboxed])),
            InstanceSpawn.name: try encoder.encode(InstanceSpawn.Result(instance: instance)),
            InstanceStop.name: try encoder.encode(InstanceStop.Result()),
            SessionOpen.name: try encoder.encode(opened),
            SessionResume.name: try encoder.encode(opened),
            SessionClose.name: try encoder.encode(SessionClose.Result()),
            SessionList.name: try encoder.encode(SessionList.Result(sessions: [
                SessionInfo(session: "s1", instance: "i1", blender: "4.4.0", mine: true, attached: true, execs: 3, idleS: 0.5),
                SessionInfo(session: "s2", instance: nil, blender: "3.4.1", mine: false, attached: false, execs: 7, idleS: 12,
                            checkpoint: "c7", checkpoints: 4),
            ])),
            WorkerAttach.name: try encoder.encode(WorkerAttach.Result(instance: "i2")),
            SceneCheckpoint.name: try encoder.encode(labelled),
            SceneCheckpoints.name: try encoder.encode(SceneCheckpoints.Result(
                checkpoints: [checkpoint, labelled], current: "c3", policy: "auto", keep: 10)),
            SceneRestore.name: try encoder.encode(SceneRestore.Result(checkpoint: "c2", objects: 5, durationMs: 30.1)),
            RequestCancel.name: try encoder.encode(RequestCancel.Result(cancelled: true, stage: "interrupt")),
            RenderViews.name: try encoder.encode(RenderProtocolTests.renderResult()),
            JobSubmit.name: try encoder.encode(JobSubmit.Result(job: "j1", frames: 24, chunks: 6, framesDir: "/state/jobs/j1/frames", blender: ">=4.4")),
            JobStatus.name: try encoder.encode(JobStatus.Result(
                job: "j1", state: "failed", total: 24, done: 22, failed: [JobFailedFrame(frame: 7, reason: "failed 3 times")],
                framesDir: "/out", startedAt: "2026-11-21T07:50:02.118Z", elapsedMs: 6120.4, instances: [], chunks: 6, retries: 3,
                reason: "2 frames failed", endedAt: "2026-11-21T07:50:08.238Z")),
            JobCancel.name: try encoder.encode(JobCancel.Result(cancelled: true, state: "cancelled")),
            EventsSubscribe.name: try encoder.encode(EventsSubscribe.Result(subscription: "e1", session: "s1", all: false, delivery: "inline")),
            EventsUnsubscribe.name: try encoder.encode(EventsUnsubscribe.Result(subscription: "e1")),
        ]
        // A session without checkpoints: `current` is absent, not null.
        let none = try encoder.encode(SceneCheckpoints.Result(checkpoints: [], current: nil, policy: "manual", keep: 10))
        #expect(none["current"] == nil)
        #expect(SchemaCheck(document: document).problems(none, try #require(spec[SceneCheckpoints.name]?["result"]?["schema"]),
                                                          at: "result").isEmpty)
        // Worker results passed through (scene.load: the worker's plus checkpoint).
        // scene.export: the worker's with the files delivered (RenderProtocolTests checks samples).
        let passedThrough: Set<String> = [ScriptExec.name, SceneInfo.name, SceneObject.name, APIDescribe.name, SceneLoad.name, SceneExport.name]
        #expect(Set(samples.keys).union(passedThrough) == Set(MethodRegistry.names), "add a sample for each new typed method")
        for (name, sample) in samples {
            let schema = try #require(spec[name]?["result"]?["schema"], "\(name) has no result schema")
            let problems = SchemaCheck(document: document).problems(sample, schema, at: "result")
            #expect(problems.isEmpty, "\(name): \(problems)")
        }
        for name in passedThrough {
            #expect(spec[name]?["result"]?["schema"] != nil, "\(name) has no result schema")
        }
    }

    /// A result's hand-written `jsonValue` (the dispatcher's fast path) must equal its Codable
    /// encoding, or the two ways of answering would drift apart.
    @Test func directJSONMatchesCodable() throws {
        let results: [any Encodable & JSONValueRepresentable] = [DaemonPing.Result(pong: true), DaemonPing.Result(pong: false)]
        for result in results {
            #expect(try JSONValueEncoder().encode(result) == result.jsonValue)
        }
    }

    @Test func schemaCheckCatchesDrift() throws {
        let document = try Self.document()
        let schema = try #require(Self.methods(document)[DaemonPing.name]?["result"]?["schema"])
        let check = SchemaCheck(document: document)
        #expect(!check.problems(["pong": "yes"], schema, at: "result").isEmpty)
        #expect(!check.problems(["ping": true], schema, at: "result").isEmpty)
        #expect(check.problems(["pong": true], schema, at: "result").isEmpty)
    }
}
