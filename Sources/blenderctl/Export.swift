import ArgumentParser
import BlenderdClient
import Foundation
import JSONRPC

/// `blenderctl export --format glb --out chair.glb`: `scene.export` with binary delivery; the
/// file (and any files beside it: an `.obj`'s `.mtl`, a glTF's `.bin`) written locally.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Export the scene (glb, gltf, obj, fbx, usd, stl, ply, blend) to a file.",
        discussion: "Example: blenderctl export --format glb --out chair.glb")

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var sessionOptions: SessionOptions

    @Option(help: "glb, gltf, obj, fbx, usd, stl, ply or blend.")
    var format: String

    @Option(help: ArgumentHelp("File to write (default: the exporter's name, e.g. scene.glb, in the current directory).", valueName: "file"))
    var out: String?

    @Option(name: .customLong("object"), help: "Export only this object and its children (repeat for several; default every visible object).")
    var selection: [String] = []

    @Option(name: .customLong("timeout-s"), help: "Limit for the export in seconds.")
    var timeoutS: Double?

    func run() throws {
        try reporting(json: options.json) {
            let client = try options.connect(framing: .header, defaultTimeout: 600)
            try sessionOptions.run(on: client, json: options.json) { session in
                var params: [String: JSONValue] = ["session": .string(session), "format": .string(format), "delivery": "binary"]
                if !selection.isEmpty { params["selection"] = .array(selection.map { .string($0) }) }
                if let timeoutS { params["timeout_s"] = .number(JSONNumber(timeoutS)) }
                // Further files come first, each a scene.export.file notification and its frame.
                var extras: [(name: String, bytes: [UInt8])] = []
                var announced: String?
                client.onNotification = { note in
                    if note.method == "scene.export.file" { announced = note.params?["name"]?.stringValue }
                }
                client.onAttachment = { bytes in
                    if let name = announced { extras.append((name, bytes)) }
                    announced = nil
                }
                defer {
                    client.onNotification = nil
                    client.onAttachment = nil
                }
                let result = try client.call("scene.export", params: .object(params))
                let bytes = try mainFile(result, client: client)
                let path = out ?? result["name"]?.stringValue ?? "scene.\(format)"
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty {
                    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                }
                var written = [try write(bytes, to: path)]
                for extra in extras {
                    // The exporter's own names (scene.mtl, scene.bin), which the main file refers to.
                    let name = (extra.name as NSString).lastPathComponent
                    written.append(try write(extra.bytes, to: directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)))
                }
                if options.json {
                    var object = result.objectValue ?? [:]
                    object["files_written"] = .array(written.map { .string($0) })
                    print(JSONText.pretty(.object(object)))
                } else {
                    print("\(path)  \(Format.bytes(bytes.count))  \(result["format"]?.stringValue ?? format), \(result["objects"]?.intValue ?? 0) objects, \(Format.milliseconds(result["duration_ms"]?.doubleValue))")
                    for extra in written.dropFirst() { print("\(extra)  (referenced by \(path))") }
                }
            }
        }
    }

    /// The exported bytes however the daemon delivered them (binary unless inside a batch).
    private func mainFile(_ result: JSONValue, client: BlenderdClient) throws -> [UInt8] {
        let attachment = result["attachment"] ?? .null
        if let base64 = attachment["base64"]?.stringValue {
            guard let data = Data(base64Encoded: base64) else { throw ClientError.io("scene.export: invalid base64") }
            return [UInt8](data)
        }
        if let path = attachment["path"]?.stringValue {
            guard let data = FileManager.default.contents(atPath: path) else { throw Failure("cannot read \(path)", exitCode: 74) }
            return [UInt8](data)
        }
        return try client.nextAttachment()
    }

    private func write(_ bytes: [UInt8], to path: String) throws -> String {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch {
            throw Failure("cannot write \(path): \(error.localizedDescription)", exitCode: 73)
        }
        return path
    }
}
