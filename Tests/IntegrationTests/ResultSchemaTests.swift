import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// Real results from real Blender, checked against `protocol/openrpc.json`: the worker produces
/// these shapes, the daemon passes them through, and the contract must describe them.
@Suite("results match openrpc.json", .serialized)
struct ResultSchemaTests {
    @Test(arguments: ["4.4", "3.4"])
    func workerResultsMatchTheirSchemas(blender: String) throws {
        let document = try OpenRPCDocument.load()
        let check = SchemaCheck(document: document)
        let client = try BlenderDaemon.client()
        let opened = try client.call("session.open", params: ["blender": .string(blender)])
        let session = try #require(opened["session"]?.stringValue)
        defer { _ = try? client.call("session.close", params: ["session": .string(session)]) }
        var results: [(String, JSONValue)] = [("session.open", opened)]
        results.append(("script.exec", try client.exec(session, """
            import bpy
            bpy.ops.mesh.primitive_cube_add()
            bpy.ops.object.light_add(type='SUN')
            bpy.ops.object.camera_add()
            print("made three")
            result = {"n": len(bpy.data.objects)}
            """)))
        results.append(("scene.info", try client.call("scene.info", params: ["session": .string(session)])))
        results.append(("scene.object", try client.call("scene.object", params: ["session": .string(session), "name": "Cube"])))
        results.append(("api.describe", try client.call("api.describe", params: ["session": .string(session), "target": "mesh.primitive_cube_add"])))
        results.append(("api.describe", try client.call("api.describe", params: ["session": .string(session), "target": "Object"])))
        results.append(("instance.list", try client.call("instance.list")))
        results.append(("session.list", try client.call("session.list")))
        results.append(("daemon.info", try client.call("daemon.info")))
        for (method, result) in results {
            let schema = try #require(OpenRPCDocument.resultSchema(method, in: document), "\(method) has no result schema")
            let problems = check.problems(result, schema, at: "result")
            #expect(problems.isEmpty, "\(method) on \(blender): \(problems)")
        }
    }
}
