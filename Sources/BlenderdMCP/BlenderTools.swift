import BlenderdClient
import BlenderdProtocol
import Foundation
import JSONRPC
import MCP

/// Reports progress of a long call to the MCP client (`notifications/progress`), when it asked
/// for it with a progress token. Called on the link's thread, in order.
typealias ProgressSink = @Sendable (_ progress: Double, _ total: Double?, _ message: String?) -> Void

/// The eight tools: arguments in, one daemon call, a result the model can read out.
///
/// Failures the model can act on (a script error, a bad argument, an unknown object, an
/// unreachable daemon) are tool results with `isError`, as MCP asks, so they reach the model;
/// only an unknown tool name is a protocol error.
final class BlenderTools: Sendable {
    let link: DaemonLink
    private let exports: ExportDirectory

    /// Bytes of stdout and of stderr kept per script: a model's context is better spent on
    /// something other than a megabyte of prints (the daemon's default).
    static let captureLimit = 100_000
    /// render_views' size when the caller gives neither resolution nor scale: enough to judge a
    /// shape, small enough that several views fit a model's image limits.
    static let defaultResolution = [512, 512]
    static let defaultViews = 4

    init(link: DaemonLink) {
        self.link = link
        self.exports = ExportDirectory(configured: link.configuration.outputDirectory)
    }

    func call(_ name: String, _ arguments: [String: Value]?, progress: ProgressSink?) async throws -> CallTool.Result {
        guard let tool = ToolName(rawValue: name) else {
            throw MCPError.invalidParams("unknown tool \(name); tools: \(ToolName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let result = try await run(tool, arguments, progress: progress)
        // The client cancelled the call (notifications/cancelled): the daemon was told to stop it
        // and has answered, but MCP asks for no response, which the SDK skips on this error.
        if Task.isCancelled { throw CancellationError() }
        return result
    }

    private func run(_ tool: ToolName, _ arguments: [String: Value]?, progress: ProgressSink?) async throws -> CallTool.Result {
        let name = tool.rawValue
        do {
            let args = try ToolArguments(arguments, allowed: ToolCatalog.argumentNames(tool))
            switch tool {
            case .executeBlenderCode: return try await execute(args)
            case .getSceneInfo: return try await sceneInfo(args)
            case .getObjectInfo: return try await objectInfo(args)
            case .renderViews: return try await render(args, progress: progress)
            case .exportScene: return try await export(args)
            case .listCheckpoints: return try await checkpoints()
            case .restoreCheckpoint: return try await restore(args)
            case .describeBlenderAPI: return try await describe(args)
            }
        } catch let problem as ArgumentProblem {
            return Self.failure("Invalid arguments for \(name): \(problem). Nothing ran.")
        } catch let failure as LinkFailure {
            return Self.failure(ErrorText.describe(failure, socketPath: link.configuration.socketPath))
        } catch let failure as ExportFailure {
            return Self.failure(failure.description)
        }
    }

    // MARK: - Tools

    private func execute(_ args: ToolArguments) async throws -> CallTool.Result {
        var params: [String: JSONValue] = [
            "code": .string(try args.requiredString("code")),
            "capture_limit": .number(JSONNumber(Self.captureLimit)),
        ]
        if let timeout = try args.number("timeout_s") { params["timeout_s"] = .number(JSONNumber(timeout)) }
        let forwarded = try await link.call(ScriptExec.name, params)
        let result = forwarded.result
        var text = "OK"
        if let duration = result["duration_ms"]?.doubleValue { text += " in \(JSONText.decimal(duration, places: 1)) ms" }
        if let checkpoint = result["checkpoint"]?.stringValue {
            text += "; checkpoint \(checkpoint) saved (restore_checkpoint rolls back to it)"
        } else if let reason = result["checkpoint_error"]?.stringValue {
            text += "; no checkpoint was saved: \(reason)"
        }
        text += "."
        if let value = result["value"] { text += "\nresult: " + JSON.string(value) }
        for stream in ["stdout", "stderr"] {
            if let output = result[stream]?.stringValue, !output.isEmpty {
                text += "\n\(stream):\n" + output.trimmingTrailingNewlines()
                if result["\(stream)_truncated"]?.boolValue == true { text += "\n[\(stream) truncated]" }
            }
        }
        text += "\nchanges: " + Self.changes(result["changes"])
        if let reports = result["reports"]?.arrayValue, !reports.isEmpty {
            text += "\nBlender reports:\n" + reports.map {
                "- \($0["type"]?.stringValue ?? "INFO"): \($0["message"]?.stringValue ?? JSON.string($0))"
            }.joined(separator: "\n")
        }
        return Self.success(text, notices: forwarded.notices, structured: result)
    }

    private func sceneInfo(_ args: ToolArguments) async throws -> CallTool.Result {
        var params: [String: JSONValue] = [:]
        if let offset = try args.integer("offset") { params["offset"] = .number(JSONNumber(offset)) }
        if let limit = try args.integer("limit") { params["limit"] = .number(JSONNumber(limit)) }
        let forwarded = try await link.call(SceneInfo.name, params)
        return Self.success(JSONText.pretty(forwarded.result), notices: forwarded.notices, structured: forwarded.result)
    }

    private func objectInfo(_ args: ToolArguments) async throws -> CallTool.Result {
        let forwarded = try await link.call(SceneObject.name, ["name": .string(try args.requiredString("name"))])
        return Self.success(JSONText.pretty(forwarded.result), notices: forwarded.notices, structured: forwarded.result)
    }

    private func describe(_ args: ToolArguments) async throws -> CallTool.Result {
        let forwarded = try await link.call(APIDescribe.name, ["target": .string(try args.requiredString("target"))])
        return Self.success(JSONText.pretty(forwarded.result), notices: forwarded.notices, structured: forwarded.result)
    }

    private func checkpoints() async throws -> CallTool.Result {
        let forwarded = try await link.call(SceneCheckpoints.name, [:])
        let result = forwarded.result
        let list = result["checkpoints"]?.arrayValue ?? []
        var text = list.isEmpty ? "No checkpoints yet (one is saved after each successful execute_blender_code)." : "Checkpoints, oldest first:"
        for checkpoint in list {
            let id = checkpoint["id"]?.stringValue ?? "?"
            var line = "\n- \(id)"
            if let label = checkpoint["label"]?.stringValue { line += " \"\(label)\"" }
            line += checkpoint["auto"]?.boolValue == true ? ": after execution \(checkpoint["exec"]?.intValue ?? 0)" : ": saved on request"
            if let created = checkpoint["created_at"]?.stringValue { line += ", \(created)" }
            if let bytes = checkpoint["bytes"]?.intValue { line += ", \(bytes) bytes" }
            if id == result["current"]?.stringValue { line += "  <- the scene is here" }
            text += line
        }
        if let current = result["current"]?.stringValue { text += "\nCurrent: \(current)." }
        return Self.success(text, notices: forwarded.notices, structured: result)
    }

    private func restore(_ args: ToolArguments) async throws -> CallTool.Result {
        let checkpoint = try args.requiredString("checkpoint")
        let forwarded = try await link.call(SceneRestore.name, ["checkpoint": .string(checkpoint)])
        var text = "Restored checkpoint \(forwarded.result["checkpoint"]?.stringValue ?? checkpoint)"
        if let objects = forwarded.result["objects"]?.intValue { text += ": the scene has \(objects) objects" }
        return Self.success(text + ".", notices: forwarded.notices, structured: forwarded.result)
    }

    private func render(_ args: ToolArguments, progress: ProgressSink?) async throws -> CallTool.Result {
        var params: [String: JSONValue] = ["delivery": "inline"]
        let cameras = try args.strings("cameras")
        if let cameras { params["cameras"] = .array(cameras.map { .string($0) }) }
        params["views"] = .number(JSONNumber(try args.integer("views") ?? Self.defaultViews))
        let scale = try args.number("scale")
        if let scale { params["scale"] = .number(JSONNumber(scale)) }
        if let resolution = try args.integers("resolution") ?? (scale == nil ? Self.defaultResolution : nil) {
            params["resolution"] = .array(resolution.map { .number(JSONNumber($0)) })
        }
        if let engine = try args.string("engine") { params["engine"] = .string(engine) }
        if let samples = try args.integer("samples") { params["samples"] = .number(JSONNumber(samples)) }
        if let transparent = try args.bool("transparent") { params["transparent"] = .bool(transparent) }
        if let format = try args.string("format") {
            // EXR is not an image MCP clients show; the daemon would accept it.
            guard ["PNG", "JPEG"].contains(format.uppercased()) else {
                throw ArgumentProblem(description: "argument format must be PNG or JPEG, got \(format)")
            }
            params["format"] = .string(format.uppercased())
        }

        let images = ImageCollector(progress: progress)
        let forwarded = try await link.call(RenderViews.name, params) { notification in
            images.take(notification)
        }
        let result = forwarded.result
        var text = "Rendered \(images.final.count) view\(images.final.count == 1 ? "" : "s")"
        if let size = result["resolution"]?.arrayValue?.compactMap({ $0.intValue }), size.count == 2 { text += " at \(size[0])x\(size[1])" }
        if let engine = result["engine"]?.stringValue { text += " with \(engine)" }
        if let samples = result["samples"]?.intValue { text += " (\(samples) samples)" }
        if let device = result["device"]?.stringValue { text += " on \(device)" }
        if let duration = result["duration_ms"]?.doubleValue { text += " in \(JSONText.decimal(duration / 1000, places: 1)) s" }
        text += ". Images follow in view order."
        for image in images.final {
            text += "\nview \(image.index): \(image.camera)"
            if let orbit = image.orbit {
                let parts = [("azimuth_deg", "azimuth", "°"), ("elevation_deg", "elevation", "°"), ("distance", "distance", "")]
                    .compactMap { key, label, unit in orbit[key]?.doubleValue.map { "\(label) \(JSONText.decimal($0, places: 1))\(unit)" } }
                if !parts.isEmpty { text += " (" + parts.joined(separator: ", ") + ")" }
            }
            text += ", \(image.width)x\(image.height)"
        }
        if let notes = result["notes"]?.arrayValue?.compactMap({ $0.stringValue }), !notes.isEmpty {
            text += "\nNotes:\n" + notes.map { "- \($0)" }.joined(separator: "\n")
        }
        if let added = result["added"], added["light"]?.boolValue == true || added["world"]?.boolValue == true {
            text += "\nThe scene had no light or world of its own, so the render added them (and removed them afterwards)."
        }
        var content: [Tool.Content] = [.text(text: Self.withNotices(text, forwarded.notices), annotations: nil, _meta: nil)]
        for image in images.final {
            content.append(.image(data: image.base64, mimeType: image.mime, annotations: nil, _meta: nil))
        }
        return CallTool.Result(content: content, isError: false)
    }

    private func export(_ args: ToolArguments) async throws -> CallTool.Result {
        var params: [String: JSONValue] = ["format": .string(try args.requiredString("format")), "delivery": "inline"]
        if let selection = try args.strings("selection") { params["selection"] = .array(selection.map { .string($0) }) }
        let embed = try args.bool("embed") ?? false
        let forwarded = try await link.call(SceneExport.name, params)
        let result = forwarded.result
        let written = try exports.write(result, session: forwarded.session)

        var text = "Exported"
        if let objects = result["objects"]?.intValue { text += " \(objects) object\(objects == 1 ? "" : "s")" }
        text += " to \(written.main.path) (\(written.main.bytes) bytes, \(written.main.mime))"
        if let op = result["operator"]?.stringValue { text += " with \(op)" }
        text += "."
        if !written.others.isEmpty {
            text += "\nBeside it: " + written.others.map { "\($0.path) (\($0.bytes) bytes)" }.joined(separator: ", ")
        }
        var content: [Tool.Content] = [.text(text: Self.withNotices(text, forwarded.notices), annotations: nil, _meta: nil)]
        if embed {
            for file in [written.main] + written.others {
                content.append(.resource(resource: .binary(file.data, uri: file.url, mimeType: file.mime)))
            }
        }
        return CallTool.Result(content: content, isError: false)
    }

    // MARK: - Results

    static func success(_ text: String, notices: [String], structured: JSONValue? = nil) -> CallTool.Result {
        // structuredContent must be an object (MCP 2025-06-18); results that are not stay text only.
        let structuredValue: Value? = structured.flatMap { $0.objectValue != nil ? Value(json: $0) : nil }
        return CallTool.Result(content: [.text(text: withNotices(text, notices), annotations: nil, _meta: nil)],
                               structuredContent: structuredValue, isError: false)
    }

    static func failure(_ text: String) -> CallTool.Result {
        CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], isError: true)
    }

    private static func withNotices(_ text: String, _ notices: [String]) -> String {
        notices.isEmpty ? text : notices.joined(separator: "\n") + "\n" + text
    }

    /// `{"meshes":{"added":["Cube"]}}` as `meshes added: Cube`; `{}` as `none`.
    static func changes(_ value: JSONValue?) -> String {
        guard let collections = value?.objectValue, !collections.isEmpty else { return "none" }
        var parts: [String] = []
        for collection in collections.keys.sorted() {
            guard let kinds = collections[collection]?.objectValue else { continue }
            for kind in kinds.keys.sorted() {
                let names = kinds[kind]?.arrayValue?.map { $0.stringValue ?? JSON.string($0) } ?? []
                parts.append("\(collection) \(kind): \(names.joined(separator: ", "))")
            }
        }
        return parts.isEmpty ? JSON.string(value ?? .null) : parts.joined(separator: "; ")
    }
}

/// The images of one render.views call as its `render.image` notifications bring them (inline
/// delivery: the base64 is the daemon's, passed to MCP unchanged), and its progress.
final class ImageCollector: @unchecked Sendable {
    struct Image {
        var index: Int
        var width: Int
        var height: Int
        var mime: String
        var camera: String
        var orbit: JSONValue?
        var base64: String
    }

    // Written on the link's thread while the call runs, read after it returns.
    private var images: [Image] = []
    private let progress: ProgressSink?

    init(progress: ProgressSink?) {
        self.progress = progress
    }

    /// Final-pass images by view index.
    var final: [Image] { images.sorted { $0.index < $1.index } }

    func take(_ notification: JSONRPC.Request) {
        guard let params = notification.params else { return }
        switch notification.method {
        case StreamNotification.renderImage:
            guard params["pass"]?.stringValue != "preview",
                  let base64 = params["attachment"]?["base64"]?.stringValue,
                  let index = params["index"]?.intValue else { return }
            images.append(Image(
                index: index, width: params["width"]?.intValue ?? 0, height: params["height"]?.intValue ?? 0,
                mime: params["mime"]?.stringValue ?? "image/png", camera: params["camera"]?.stringValue ?? "view \(index)",
                orbit: params["orbit"], base64: base64))
            if let views = params["views"]?.intValue {
                progress?(Double(images.count), Double(views), "view \(images.count) of \(views) done")
            }
        case StreamNotification.renderProgress:
            guard let view = params["view"]?.intValue, let views = params["views"]?.intValue else { return }
            var fraction = 0.0
            if let done = params["samples_done"]?.doubleValue, let total = params["samples_total"]?.doubleValue, total > 0 {
                fraction = done / total < 0.99 ? done / total : 0.99
            }
            progress?(Double(view - 1) + fraction, Double(views), "rendering view \(view) of \(views)")
        default:
            return
        }
    }
}
