import BlenderdProtocol
import Foundation
import JSONRPC
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

    /// Encodes a sample of each typed result and checks the schema's `required` keys are there,
    /// so a renamed Swift property cannot silently drift from the documented wire name.
    @Test func typedResultsCarryTheRequiredFields() throws {
        let spec = Self.methods(try Self.document())
        let samples: [String: JSONValue] = [
            DaemonPing.name: try JSONValueEncoder().encode(DaemonPing.Result()),
            DaemonInfo.name: try JSONValueEncoder().encode(
                DaemonInfo.Result(
                    version: "0", protocolVersion: "0",
                    capabilities: .init(framings: [], attachments: true, maxFrameBytes: 1, methods: []),
                    uptimeS: 0, connections: 0, pid: 1)),
        ]
        #expect(Set(samples.keys) == Set(MethodRegistry.names), "add a sample for each new method")
        for (name, sample) in samples {
            let schema = spec[name]?["result"]?["schema"]
            let required = schema?["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(!required.isEmpty, "\(name): result schema has no required fields")
            for key in required {
                #expect(sample[key] != nil, "\(name): result lacks required \(key)")
            }
        }
    }
}
