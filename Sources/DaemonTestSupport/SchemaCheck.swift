import Foundation
import JSONRPC

/// `protocol/openrpc.json`, parsed.
public enum OpenRPCDocument {
    public static func load() throws -> JSONValue {
        let url = URL(fileURLWithPath: RealBlender.repositoryRoot + "/protocol/openrpc.json")
        return try JSON.parse([UInt8](try Data(contentsOf: url)), maxDepth: 128)
    }

    /// The result schema of `method`, nil if the document has none.
    public static func resultSchema(_ method: String, in document: JSONValue) -> JSONValue? {
        document["methods"]?.arrayValue?.first { $0["name"]?.stringValue == method }?["result"]?["schema"]
    }
}

/// The part of JSON Schema our result schemas use: `$ref` into the document, `type`,
/// `required`, `properties`, `items`, `additionalProperties: false`, `enum`, `const`.
public struct SchemaCheck {
    public let document: JSONValue

    public init(document: JSONValue) { self.document = document }

    public func problems(_ value: JSONValue, _ schema: JSONValue, at path: String) -> [String] {
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
