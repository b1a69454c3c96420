import ArgumentParser
import BlenderdClient
import JSONRPC

/// `blenderctl describe TARGET`: what this Blender's Python API really has (`api.describe`):
/// an operator's parameters, a type's properties, a node's socket names.
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe an RNA type, an operator, a node type or a property of this Blender.",
        discussion: """
            Examples:
              blenderctl describe mesh.primitive_cube_add
              blenderctl describe ShaderNodeBsdfPrincipled   # socket names of this version
              blenderctl describe Object.location
            """)

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var sessionOptions: SessionOptions

    @Argument(help: "Operator (mesh.primitive_cube_add), type (Object), node (ShaderNodeBsdfPrincipled) or Type.property.")
    var target: String

    func run() throws {
        try reporting(json: options.json) {
            let client = try options.connect(defaultTimeout: 600)
            try sessionOptions.run(on: client, json: options.json) { session in
                let result = try client.call("api.describe", params: ["session": .string(session), "target": .string(target)])
                if options.json {
                    print(JSONText.pretty(result))
                } else {
                    printDescription(result)
                }
            }
        }
    }

    private func printDescription(_ result: JSONValue) {
        let kind = result["kind"]?.stringValue ?? "?"
        switch kind {
        case "operator":
            print(result["call"]?.stringValue ?? result["target"]?.stringValue ?? target)
            printText(result["description"])
            printProperties("parameters", result["parameters"])
        case "type", "node":
            var title = "\(kind) \(result["name"]?.stringValue ?? result["target"]?.stringValue ?? target)"
            if let base = result["base"]?.stringValue { title += " (base \(base))" }
            if let tree = result["tree_type"]?.stringValue { title += " in \(tree)" }
            print(title)
            printText(result["description"])
            if kind == "node" {
                printSockets("inputs", result["inputs"])
                printSockets("outputs", result["outputs"])
            }
            printProperties("properties", result["properties"])
            let functions = result["functions"]?.arrayValue ?? []
            if !functions.isEmpty {
                print("functions:")
                for function in functions {
                    let parameters = function["parameters"]?.arrayValue?.compactMap { $0["identifier"]?.stringValue } ?? []
                    print("  \(function["identifier"]?.stringValue ?? "?")(\(parameters.joined(separator: ", ")))  \(function["description"]?.stringValue ?? "")")
                }
            }
        case "property":
            print("property \(result["target"]?.stringValue ?? target) of \(result["owner"]?.stringValue ?? "?")")
            if let property = result["property"] { printProperties("", .array([property])) }
        default:
            print(JSONText.pretty(result))
        }
    }

    private func printText(_ value: JSONValue?) {
        if let text = value?.stringValue, !text.isEmpty { print("  \(text)") }
    }

    private func printSockets(_ title: String, _ value: JSONValue?) {
        let sockets = value?.arrayValue ?? []
        guard !sockets.isEmpty else { return }
        print("\(title):")
        var table = Table(header: ["  NAME", "TYPE", "IDENTIFIER", "DEFAULT"])
        for socket in sockets {
            var name = "  " + (socket["name"]?.stringValue ?? "?")
            if socket["enabled"]?.boolValue == false { name += " (disabled)" }
            table.rows.append([
                name, socket["type"]?.stringValue ?? "", socket["identifier"]?.stringValue ?? "",
                socket["default"].map { Format.compact($0, limit: 40) } ?? "",
            ])
        }
        print(table.render())
    }

    private func printProperties(_ title: String, _ value: JSONValue?) {
        let properties = value?.arrayValue ?? []
        guard !properties.isEmpty else { return }
        if !title.isEmpty { print("\(title):") }
        var table = Table(header: ["  IDENTIFIER", "TYPE", "DEFAULT", "DESCRIPTION"])
        for property in properties {
            var type = property["type"]?.stringValue ?? "?"
            if let length = property["array_length"]?.intValue, length > 0 { type += "[\(length)]" }
            if property["readonly"]?.boolValue == true { type += " ro" }
            var description = property["description"]?.stringValue ?? ""
            if let items = property["enum_items"]?.arrayValue, !items.isEmpty {
                let names = items.compactMap { $0["identifier"]?.stringValue }
                description += (description.isEmpty ? "" : " ") + "one of " + names.prefix(12).joined(separator: ", ")
                    + (names.count > 12 ? ", …" : "")
            }
            table.rows.append([
                "  " + (property["identifier"]?.stringValue ?? "?"), type,
                property["default"].map { Format.compact($0, limit: 30) } ?? "", description,
            ])
        }
        print(table.render())
    }
}
