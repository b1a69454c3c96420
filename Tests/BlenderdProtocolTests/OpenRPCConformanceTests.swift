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

    /// Encodes a sample of each typed result and validates it against the method's result
    /// schema, so a renamed Swift property cannot silently drift from the documented wire name.
    @Test func typedResultsConformToTheirSchemas() throws {
        let document = try Self.document()
        let spec = Self.methods(document)
        let samples: [String: JSONValue] = [
            DaemonPing.name: try JSONValueEncoder().encode(DaemonPing.Result()),
            DaemonInfo.name: try JSONValueEncoder().encode(
                DaemonInfo.Result(
                    version: "0", protocolVersion: "0",
                    capabilities: .init(framings: ["ndjson"], attachments: true, maxFrameBytes: 1, methods: ["daemon.ping"]),
                    uptimeS: 0, connections: 0, pid: 1)),
        ]
        #expect(Set(samples.keys) == Set(MethodRegistry.names), "add a sample for each new method")
        for (name, sample) in samples {
            let schema = try #require(spec[name]?["result"]?["schema"], "\(name) has no result schema")
            let problems = SchemaCheck(document: document).problems(sample, schema, at: "result")
            #expect(problems.isEmpty, "\(name): \(problems)")
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

/// The part of JSON Schema our result schemas use: `$ref` into the document, `type`,
/// `required`, `properties`, `items`, `additionalProperties: false`, `enum`, `const`.
struct SchemaCheck {
    let document: JSONValue

    func problems(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
        var schema = schema
        if let ref = schema["$ref"]?.stringValue {
            guard let resolved = resolve(ref) else { return ["\(path): unresolvable $ref \(ref)"] }
            schema = resolved
        }
        var found: [String] = []
        if let type = schema["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            if !allowed.contains(where: { matches(value, type: $0) }) {
                found.append("\(path): expected \(allowed.joined(separator: "|")), got \(JSON.string(value))")
            }
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            found.append("\(path): \(JSON.string(value)) not in enum")
        }
        if let constant = schema["const"], constant != value {
            found.append("\(path): expected const \(JSON.string(constant))")
        }
        if case .object(let members) = value {
            for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[key] == nil {
                found.append("\(path): missing required \(key)")
            }
            let properties = schema["properties"]?.objectValue ?? [:]
            for (key, member) in members {
                if let propertySchema = properties[key] {
                    found += problems(member, propertySchema, at: "\(path).\(key)")
                } else if schema["additionalProperties"] == .bool(false) {
                    found.append("\(path): unexpected member \(key)")
                }
            }
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() {
                found += problems(item, itemSchema, at: "\(path)[\(index)]")
            }
        }
        return found
    }

    private func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null), ("number", .number):
            return true
        case ("integer", .number(let number)):
            return number.int != nil
        default:
            return false
        }
    }

    private func resolve(_ ref: String) -> JSONValue? {
        guard ref.hasPrefix("#/") else { return nil }
        var node: JSONValue? = document
        for part in ref.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node
    }
}
