import ArgumentParser
import BlenderdClient
import JSONRPC

/// `blenderctl checkpoints [list|save]`: a session's saved scenes (`scene.checkpoints`), and an
/// explicit one (`scene.checkpoint`), e.g. a labelled one retention never deletes.
struct Checkpoints: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List a session's checkpoints, or save one.",
        discussion: "Examples: blenderctl checkpoints; blenderctl checkpoints save --label 'before legs'; blenderctl restore c2",
        subcommands: [List.self, Save.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the session's checkpoints, oldest first (* current).")

        @OptionGroup var options: ConnectionOptions
        @OptionGroup var sessionOptions: SessionOptions

        func run() throws {
            try reporting(json: options.json) {
                let client = try options.connect()
                try sessionOptions.run(on: client, json: options.json) { session in
                    let result = try client.call("scene.checkpoints", params: ["session": .string(session)])
                    if options.json {
                        print(JSONText.pretty(result))
                        return
                    }
                    let current = result["current"]?.stringValue
                    let checkpoints = result["checkpoints"]?.arrayValue ?? []
                    guard !checkpoints.isEmpty else {
                        print("no checkpoints yet (policy \(result["policy"]?.stringValue ?? "?"): a successful exec takes one under auto)")
                        return
                    }
                    var table = Table(header: ["  ID", "CREATED", "SIZE", "AUTO", "EXEC", "LABEL"])
                    for checkpoint in checkpoints {
                        let id = checkpoint["id"]?.stringValue ?? "?"
                        table.rows.append([
                            (id == current ? "* " : "  ") + id,
                            checkpoint["created_at"]?.stringValue ?? "?",
                            checkpoint["bytes"]?.intValue.map(Format.bytes) ?? "?",
                            checkpoint["auto"]?.boolValue == true ? "auto" : "manual",
                            checkpoint["exec"]?.intValue.map(String.init) ?? "-",
                            checkpoint["label"]?.stringValue ?? "",
                        ])
                    }
                    print(table.render())
                    print("policy \(result["policy"]?.stringValue ?? "?"), keeps \(result["keep"]?.intValue ?? 0) unlabelled besides the current one; roll back with: blenderctl restore ID")
                }
            }
        }
    }

    struct Save: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Save the scene as a checkpoint now.")

        @OptionGroup var options: ConnectionOptions
        @OptionGroup var sessionOptions: SessionOptions

        @Option(help: "A label (kept as long as the session lives).")
        var label: String?

        func run() throws {
            try reporting(json: options.json) {
                let client = try options.connect(defaultTimeout: 600)
                try sessionOptions.run(on: client, json: options.json) { session in
                    var params: [String: JSONValue] = ["session": .string(session)]
                    if let label { params["label"] = .string(label) }
                    let result = try client.call("scene.checkpoint", params: .object(params))
                    if options.json {
                        print(JSONText.pretty(result))
                    } else {
                        print("saved \(result["id"]?.stringValue ?? "?") (\(result["bytes"]?.intValue.map(Format.bytes) ?? "?"), \(Format.milliseconds(result["duration_ms"]?.doubleValue)))")
                    }
                }
            }
        }
    }
}

/// `blenderctl restore CHECKPOINT`: the session's scene back as a checkpoint saved it.
struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Roll the session's scene back to a checkpoint.",
        discussion: "Example: blenderctl restore c2 (ids: blenderctl checkpoints)")

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var sessionOptions: SessionOptions

    @Argument(help: "A checkpoint id, e.g. c2.")
    var checkpoint: String

    func run() throws {
        try reporting(json: options.json) {
            let client = try options.connect(defaultTimeout: 600)
            try sessionOptions.run(on: client, json: options.json) { session in
                let result = try client.call("scene.restore", params: ["session": .string(session), "checkpoint": .string(checkpoint)])
                if options.json {
                    print(JSONText.pretty(result))
                } else {
                    let objects = result["objects"]?.intValue.map { ", \($0) objects" } ?? ""
                    print("restored \(result["checkpoint"]?.stringValue ?? checkpoint)\(objects) in \(Format.milliseconds(result["duration_ms"]?.doubleValue))")
                }
            }
        }
    }
}
