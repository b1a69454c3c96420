import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// The LL3M-style examples run through the daemon on bpy 4.4, and `scene.info`, `scene.object`
/// and `api.describe` describe what they built.
@Suite("examples through the daemon", .serialized)
struct ExampleScriptTests {
    static func example(_ name: String) throws -> String {
        try String(contentsOfFile: RealBlender.repositoryRoot + "/examples/" + name, encoding: .utf8)
    }

    @Test func chairThenOldAPIFixThenInspect() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { _ = try? client.call("session.close", params: ["session": .string(session)]) }
        let chair = try client.exec(session, try Self.example("chair.py"))
        #expect(chair["changes"]?["materials"]?["added"]?.arrayValue?.isEmpty == false)

        let old = try #require(client.error("script.exec", ["session": .string(session), "code": .string(try Self.example("chair_refine_old_api.py"))]))
        #expect(old.code == .scriptError)
        let hints = old.data?["hints"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(hints.contains { $0.contains("Specular IOR Level") })
        _ = try client.exec(session, try Self.example("chair_refine_fixed.py"))

        let info = try client.call("scene.info", params: ["session": .string(session)])
        let objects = info["objects"]?.arrayValue ?? []
        #expect(objects.count >= 5)
        #expect(objects.contains { $0["type"] == "MESH" })
        let mesh = try #require(objects.first { $0["type"] == "MESH" }?["name"]?.stringValue)
        let detail = try client.call("scene.object", params: ["session": .string(session), "name": .string(mesh)])
        #expect(detail["name"] == .string(mesh))
        let paged = try client.call("scene.info", params: ["session": .string(session), "offset": 0, "limit": 2])
        #expect(paged["objects"]?.arrayValue?.count == 2)

        let node = try client.call("api.describe", params: ["session": .string(session), "target": "ShaderNodeBsdfPrincipled"])
        #expect(JSON.string(node).contains("Specular IOR Level"))
        let unknownObject = try #require(client.error("scene.object", ["session": .string(session), "name": "NoSuchObject"]))
        #expect(unknownObject.code == .invalidParams)
    }

    @Test func lanternUsesBmeshAndModifiers() throws {
        let client = try BlenderDaemon.client()
        let session = try client.openSession(["blender": ">=4.2"])
        defer { _ = try? client.call("session.close", params: ["session": .string(session)]) }
        let lantern = try client.exec(session, try Self.example("lantern.py"))
        #expect(lantern["changes"]?["objects"]?["added"]?.arrayValue?.isEmpty == false)
        let info = try client.call("scene.info", params: ["session": .string(session)])
        let modifiers = (info["objects"]?.arrayValue ?? []).flatMap { $0["modifiers"]?.arrayValue ?? [] }
        let types = Set(modifiers.compactMap { $0["type"]?.stringValue })
        #expect(types.isSuperset(of: ["BEVEL", "SOLIDIFY"]), "\(types)")
    }
}
