import ArgumentParser
import BlenderdClient
import JSONRPC

/// `blenderctl scene [OBJECT]`: the scene's objects as a table (`scene.info`), or one object in
/// detail (`scene.object`).
struct Scene: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the scene's objects, or show one object in detail.",
        discussion: "Examples: blenderctl scene; blenderctl scene Chair --json")

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var sessionOptions: SessionOptions

    @Argument(help: "An object's name: show it in detail (matrix, modifiers, materials, mesh).")
    var object: String?

    @Option(help: "First object to list (objects are sorted by name).")
    var offset: Int?

    @Option(help: "How many objects to list (0-1000; default 100).")
    var limit: Int?

    func run() throws {
        try reporting(json: options.json) {
            let client = try options.connect(defaultTimeout: 600)
            try sessionOptions.run(on: client, json: options.json) { session in
                if let object {
                    let result = try client.call("scene.object", params: ["session": .string(session), "name": .string(object)])
                    print(JSONText.pretty(result))
                    return
                }
                var params: [String: JSONValue] = ["session": .string(session)]
                if let offset { params["offset"] = .number(JSONNumber(offset)) }
                if let limit { params["limit"] = .number(JSONNumber(limit)) }
                let result = try client.call("scene.info", params: .object(params))
                if options.json {
                    print(JSONText.pretty(result))
                } else {
                    printScene(result)
                }
            }
        }
    }

    private func printScene(_ result: JSONValue) {
        let scene = result["scene"] ?? .null
        let size = scene["resolution"]?.arrayValue?.compactMap(\.intValue).map(String.init).joined(separator: "x") ?? "?"
        print("scene \(scene["name"]?.stringValue ?? "?"): \(scene["render_engine"]?.stringValue ?? "?"), \(size), camera \(scene["camera"]?.stringValue ?? "none"), frames \(scene["frame_start"]?.intValue ?? 0)-\(scene["frame_end"]?.intValue ?? 0)")
        if let bounds = result["bounds_world"], !bounds.isNull {
            print("bounds: \(Self.vector(bounds["min"])) .. \(Self.vector(bounds["max"]))")
        }
        let objects = result["objects"]?.arrayValue ?? []
        let total = result["total"]?.intValue ?? objects.count
        var table = Table(header: ["NAME", "TYPE", "LOCATION", "DIMENSIONS", "VERTS", "FACES", "MATERIALS"])
        for object in objects {
            table.rows.append([
                object["name"]?.stringValue ?? "?",
                object["type"]?.stringValue ?? "?",
                Self.vector(object["location"]),
                Self.vector(object["dimensions"]),
                (object["evaluated"]?["vertices"] ?? object["vertices"])?.intValue.map(String.init) ?? "",
                (object["evaluated"]?["faces"] ?? object["faces"])?.intValue.map(String.init) ?? "",
                object["materials"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ",") ?? "",
            ])
        }
        print(table.render())
        let first = result["offset"]?.intValue ?? 0
        if first > 0 || first + objects.count < total {
            print("objects \(first + (objects.isEmpty ? 0 : 1))-\(first + objects.count) of \(total) (--offset/--limit for more)")
        } else {
            print("\(total) object\(total == 1 ? "" : "s")")
        }
    }

    static func vector(_ value: JSONValue?) -> String {
        guard let items = value?.arrayValue else { return "" }
        return "(" + items.map { $0.doubleValue.map { JSONText.decimal($0, places: 2) } ?? "?" }.joined(separator: ", ") + ")"
    }
}
