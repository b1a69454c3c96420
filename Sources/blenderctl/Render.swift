import ArgumentParser
import BlenderdClient
import Foundation
import JSONRPC

/// `blenderctl render`: orbit (or camera) views of the session's scene with `render.views`,
/// each image written into `--out` the moment it arrives, a live progress line per view.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render views of the scene into a directory, as they stream.",
        discussion: """
            Examples:
              blenderctl render --views 4 --resolution 640x360 --out renders/
              blenderctl render --camera Cam --engine eevee --samples 32 --out shots/
            Files are named view_000.png, view_001.png, … (view_000-preview.png with --preview).
            """)

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var sessionOptions: SessionOptions

    @Option(help: "Number of orbit views around the scene (1-64; default 5).")
    var views: Int?

    @Option(name: .customLong("camera"), help: "Render this camera of the scene instead of orbit views (repeat for several).")
    var cameras: [String] = []

    @Option(help: ArgumentHelp("Image size, e.g. 640x360 (default 1920x1080).", valueName: "WxH"))
    var resolution: String?

    @Option(help: "Fraction of 1920x1080, 0.1-1 (instead of --resolution).")
    var scale: Double?

    @Option(help: "CYCLES, EEVEE or WORKBENCH (default CYCLES).")
    var engine: String?

    @Option(help: "cpu, gpu or auto.")
    var device: String?

    @Option(help: "Samples per pixel (default 16).")
    var samples: Int?

    @Option(help: "PNG, JPEG or EXR (default PNG).")
    var format: String?

    @Flag(help: "Transparent background.")
    var transparent = false

    @Flag(help: "Denoise (where the engine and build support it).")
    var denoise = false

    @Flag(help: "A fast low-resolution pass of every view first.")
    var preview = false

    @Option(help: "Share the views with up to K more instances (0-16).")
    var parallel: Int?

    @Option(help: "Seed for the orbit and the sampler.")
    var seed: Int?

    @Option(help: "binary (attachment frames) or path (copied from the daemon's session directory).")
    var delivery: String = "binary"

    @Option(name: .customLong("timeout-s"), help: "Limit for the whole render in seconds.")
    var timeoutS: Double?

    @Option(help: ArgumentHelp("Directory the images are written to (created if missing).", valueName: "dir"))
    var out: String = "."

    func validate() throws {
        guard delivery == "binary" || delivery == "path" else {
            throw ValidationError("--delivery must be binary or path (inline costs a third more bytes for nothing here)")
        }
        if let resolution, Self.size(resolution) == nil {
            throw ValidationError("--resolution must look like 640x360, got \(resolution)")
        }
    }

    static func size(_ text: String) -> [Int]? {
        let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
        return parts.count == 2 ? parts : nil
    }

    func run() throws {
        try reporting(json: options.json) {
            do {
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            } catch {
                throw Failure("cannot create --out \(out): \(error.localizedDescription)", exitCode: 73)
            }
            let client = try options.connect(framing: delivery == "binary" ? .header : .newlineDelimited, defaultTimeout: 600)
            try sessionOptions.run(on: client, json: options.json) { session in
                let stream = ImageStream(directory: out, json: options.json)
                client.onNotification = { stream.handle($0) }
                client.onAttachment = { stream.attachment($0) }
                defer {
                    client.onNotification = nil
                    client.onAttachment = nil
                    stream.progress.clear()
                }
                let result = try client.call("render.views", params: params(session))
                if let failure = stream.failure { throw failure }
                stream.progress.clear()
                if options.json {
                    var object = result.objectValue ?? [:]
                    object["files"] = .array(stream.written.map { .string($0) })
                    print(JSONText.pretty(.object(object)))
                } else {
                    printSummary(result, files: stream.written.count)
                }
            }
        }
    }

    private func params(_ session: String) -> JSONValue {
        var params: [String: JSONValue] = ["session": .string(session), "delivery": .string(delivery)]
        if let views { params["views"] = .number(JSONNumber(views)) }
        if !cameras.isEmpty { params["cameras"] = .array(cameras.map { .string($0) }) }
        if let resolution, let size = Self.size(resolution) { params["resolution"] = .array(size.map { .number(JSONNumber($0)) }) }
        if let scale { params["scale"] = .number(JSONNumber(scale)) }
        if let engine { params["engine"] = .string(engine) }
        if let device { params["device"] = .string(device) }
        if let samples { params["samples"] = .number(JSONNumber(samples)) }
        if let format { params["format"] = .string(format) }
        if transparent { params["transparent"] = true }
        if denoise { params["denoise"] = true }
        if preview { params["preview"] = true }
        if let parallel { params["parallel"] = .number(JSONNumber(parallel)) }
        if let seed { params["seed"] = .number(JSONNumber(seed)) }
        if let timeoutS { params["timeout_s"] = .number(JSONNumber(timeoutS)) }
        return .object(params)
    }

    private func printSummary(_ result: JSONValue, files: Int) {
        let size = result["resolution"]?.arrayValue?.compactMap(\.intValue).map(String.init).joined(separator: "x") ?? "?"
        var line = "\(files) file\(files == 1 ? "" : "s") in \(out): \(result["engine"]?.stringValue ?? "?") on \(result["device"]?.stringValue ?? "?"), \(size)"
        if let samples = result["samples"]?.intValue { line += ", \(samples) samples" }
        line += ", \(Format.milliseconds(result["duration_ms"]?.doubleValue))"
        if let first = result["first_image_ms"]?.doubleValue { line += " (first image after \(Format.milliseconds(first)))" }
        if let instances = result["instances"]?.arrayValue, instances.count > 1 {
            line += " on \(instances.count) instances"
        }
        print(line)
        for note in result["notes"]?.arrayValue ?? [] {
            if let text = note.stringValue { print("note: \(text)") }
        }
    }
}

/// Writes each `render.image` into the output directory as it arrives (inline bytes, a path to
/// copy, or the attachment frame that follows it) and draws the progress line.
final class ImageStream {
    let directory: String
    let json: Bool
    var progress = ProgressLine()
    private(set) var written: [String] = []
    private(set) var failure: Failure?
    /// The file a `render.image` announced whose bytes come in the next attachment frame.
    private var awaiting: (path: String, image: JSONValue)?

    init(directory: String, json: Bool) {
        self.directory = directory
        self.json = json
    }

    func handle(_ notification: Request) {
        let params = notification.params ?? .null
        switch notification.method {
        case "render.progress":
            let view = params["view"]?.intValue ?? 0
            let views = params["views"]?.intValue ?? 0
            let pass = params["pass"]?.stringValue == "preview" ? " preview" : ""
            var text = "view \(view)/\(views)\(pass)"
            if let done = params["samples_done"]?.doubleValue, let total = params["samples_total"]?.doubleValue, total > 0 {
                text += " \(ProgressLine.bar(done / total)) \(Int(done))/\(Int(total)) samples"
            } else {
                text += " rendering"
            }
            text += " \(Format.milliseconds(params["elapsed_ms"]?.doubleValue))"
            if !progress.live && (params["elapsed_ms"]?.doubleValue ?? 1) < 1 && !json {
                progress.line("rendering view \(view)/\(views)\(pass)")
            }
            progress.update(text)
        case "render.image":
            let index = params["index"]?.intValue ?? written.count
            let suffix = params["pass"]?.stringValue == "preview" ? "-preview" : ""
            let number = String(index)
            let name = "view_" + String(repeating: "0", count: max(0, 3 - number.count)) + number + suffix + "."
                + Self.fileExtension(params["mime"]?.stringValue)
            let path = (directory as NSString).appendingPathComponent(name)
            let attachment = params["attachment"] ?? .null
            if let base64 = attachment["base64"]?.stringValue {
                guard let data = Data(base64Encoded: base64) else { return fail("render.image \(index): invalid base64") }
                save(data, to: path, image: params)
            } else if let source = attachment["path"]?.stringValue {
                guard let data = FileManager.default.contents(atPath: source) else {
                    return fail("cannot read \(source) (delivery path needs blenderctl on the daemon's machine, as its user)")
                }
                save(data, to: path, image: params)
            } else {
                awaiting = (path, params)
            }
        default:
            break
        }
    }

    func attachment(_ bytes: [UInt8]) {
        guard let (path, image) = awaiting else { return fail("an attachment frame nobody announced (\(bytes.count) bytes)") }
        awaiting = nil
        save(Data(bytes), to: path, image: image)
    }

    private func save(_ data: Data, to path: String, image: JSONValue) {
        do { try data.write(to: URL(fileURLWithPath: path)) } catch {
            return fail("cannot write \(path): \(error.localizedDescription)")
        }
        written.append(path)
        guard !json else { return }
        progress.clear()
        let width = image["width"]?.intValue.map(String.init) ?? "?"
        let height = image["height"]?.intValue.map(String.init) ?? "?"
        writeLine("\(path)  \(width)x\(height)  \(Format.bytes(data.count))  \(Format.milliseconds(image["duration_ms"]?.doubleValue))")
    }

    private func fail(_ message: String) {
        if failure == nil { failure = Failure(message, exitCode: 74) }
    }

    static func fileExtension(_ mime: String?) -> String {
        switch mime {
        case "image/jpeg": return "jpg"
        case "image/x-exr", "image/exr", "image/openexr", "image/aces": return "exr"
        case "image/png", nil: return "png"
        case let other?: return String(other.split(separator: "/").last ?? "bin").replacingOccurrences(of: "x-", with: "")
        }
    }
}
