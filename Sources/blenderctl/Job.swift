import ArgumentParser
import BlenderdClient
import Foundation
import JSONRPC

/// `blenderctl job submit|status|cancel`: farm jobs, frames of a `.blend` (or of a session's
/// checkpoint) rendered in chunks across the pool; `--watch` follows `job.progress`/`job.frame`.
struct Job: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render animation frames across instances (submit, status, cancel).",
        discussion: """
            Examples:
              blenderctl job submit --blend /abs/shot.blend --frames 1-240 --output /abs/frames --watch
              blenderctl job submit --frames 1-24 --samples 16 --watch   # the kept session's current checkpoint
              blenderctl job status j5e1b…; blenderctl job cancel j5e1b…
            """,
        subcommands: [Submit.self, Status.self, Cancel.self])

    struct Submit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Submit a job: frames of a .blend file, or of a session's checkpoint.")

        @OptionGroup var options: ConnectionOptions

        @Option(help: ArgumentHelp("Frames: 1-240, 1-10,20,30-40:2.", valueName: "list"))
        var frames: String

        @Option(help: ArgumentHelp("A .blend file to render.", valueName: "file"))
        var blend: String?

        @Option(help: "Render this session's checkpoint instead (default: $BLENDERD_SESSION).")
        var session: String?

        @Option(help: "The session's token (default: $BLENDERD_TOKEN).")
        var token: String?

        @Option(help: "The session's checkpoint to render (default: its current one).")
        var checkpoint: String?

        @Option(help: "Frames per chunk (default 4).")
        var chunk: Int?

        @Option(help: "CYCLES, EEVEE or WORKBENCH (default: the scene's).")
        var engine: String?

        @Option(help: "Samples per pixel (default: the scene's).")
        var samples: Int?

        @Option(help: ArgumentHelp("Frame size, e.g. 640x360 (default: the scene's).", valueName: "WxH"))
        var resolution: String?

        @Option(help: "PNG, JPEG or EXR (default PNG).")
        var format: String?

        @Option(help: "Camera object (default: the scene's).")
        var camera: String?

        @Option(help: ArgumentHelp("Directory for the frames (default: the daemon's job directory, cleared when it restarts).", valueName: "dir"))
        var output: String?

        @Option(help: "Blender version range the chunks need.")
        var blender: String?

        @Option(name: .customLong("timeout-s"), help: "Limit per chunk in seconds (default 1800).")
        var timeoutS: Double?

        @Flag(help: "Follow the job: a progress bar over frames, each frame's file as it lands; exit 0 only if every frame rendered.")
        var watch = false

        func validate() throws {
            if let resolution, Render.size(resolution) == nil {
                throw ValidationError("--resolution must look like 640x360, got \(resolution)")
            }
        }

        func run() throws {
            try reporting(json: options.json) {
                let client = try options.connect(defaultTimeout: 600)
                var params: [String: JSONValue] = ["frames": .string(frames)]
                let environment = ProcessInfo.processInfo.environment
                if let blend {
                    params["blend"] = .string(absolute(blend))
                } else if let id = session ?? environment["BLENDERD_SESSION"], !id.isEmpty {
                    guard let token = token ?? environment["BLENDERD_TOKEN"], !token.isEmpty else {
                        throw Failure("rendering session \(id)'s checkpoint needs its token: --token or BLENDERD_TOKEN", exitCode: 64)
                    }
                    _ = try client.call("session.resume", params: ["session": .string(id), "token": .string(token)])
                    params["session"] = .string(id)
                    if let checkpoint { params["checkpoint"] = .string(checkpoint) }
                } else {
                    throw Failure(
                        "what should the job render? pass --blend FILE, or a session with a checkpoint (--session/--token or BLENDERD_SESSION/BLENDERD_TOKEN, e.g. after `blenderctl exec --keep scene.py`)",
                        exitCode: 64)
                }
                if let chunk { params["chunk"] = .number(JSONNumber(chunk)) }
                if let engine { params["engine"] = .string(engine) }
                if let samples { params["samples"] = .number(JSONNumber(samples)) }
                if let resolution, let size = Render.size(resolution) { params["resolution"] = .array(size.map { .number(JSONNumber($0)) }) }
                if let format { params["format"] = .string(format) }
                if let camera { params["camera"] = .string(camera) }
                if let output { params["output"] = .string(absolute(output)) }
                if let blender { params["blender"] = .string(blender) }
                if let timeoutS { params["timeout_s"] = .number(JSONNumber(timeoutS)) }
                let result = try client.call("job.submit", params: .object(params))
                let job = result["job"]?.stringValue ?? "?"
                if options.json {
                    print(watch ? JSON.string(result) : JSONText.pretty(result))
                } else {
                    print("job \(job): \(result["frames"]?.intValue ?? 0) frames in \(result["chunks"]?.intValue ?? 0) chunks → \(result["frames_dir"]?.stringValue ?? "?")")
                }
                guard watch else {
                    if !options.json { print("follow it: blenderctl job status \(job)") }
                    return
                }
                let state = try follow(job, client: client)
                guard state == "done" else {
                    throw Failure("job \(job) ended \(state); see blenderctl job status \(job)", exitCode: 1)
                }
            }
        }

        /// Reads the job's notifications until its final `job.progress`; returns the final state.
        private func follow(_ job: String, client: BlenderdClient) throws -> String {
            var progress = ProgressLine()
            defer { progress.clear() }
            while true {
                let note = try client.nextNotification()
                let params = note.params ?? .null
                guard params["job"]?.stringValue == job else { continue }
                if options.json {
                    writeLine(JSON.string(["method": .string(note.method), "params": params]))
                }
                switch note.method {
                case "job.frame":
                    if !options.json {
                        progress.clear()
                        writeLine("frame \(params["frame"]?.intValue ?? -1): \(params["path"]?.stringValue ?? "?")  \(Format.milliseconds(params["duration_ms"]?.doubleValue))")
                    }
                case "job.progress":
                    let state = params["state"]?.stringValue ?? "?"
                    let done = params["done"]?.intValue ?? 0
                    let total = params["total"]?.intValue ?? 0
                    let failed = params["failed"]?.intValue ?? 0
                    let running = params["running"]?.intValue ?? 0
                    progress.update("\(state) \(ProgressLine.bar(total > 0 ? Double(done) / Double(total) : 0)) \(done)/\(total) frames, \(running) rendering, \(failed) failed, \(Format.milliseconds(params["elapsed_ms"]?.doubleValue))")
                    if ["done", "failed", "cancelled"].contains(state) {
                        progress.clear()
                        if !options.json {
                            print("job \(job) \(state): \(done)/\(total) frames, \(failed) failed, \(Format.milliseconds(params["elapsed_ms"]?.doubleValue))")
                        }
                        return state
                    }
                default:
                    continue
                }
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a job's state, frames done and failures.")

        @OptionGroup var options: ConnectionOptions

        @Argument(help: "The job id job.submit printed.")
        var job: String

        func run() throws {
            try reporting(json: options.json) {
                let client = try options.connect()
                let result = try client.call("job.status", params: ["job": .string(job)])
                if options.json {
                    print(JSONText.pretty(result))
                    return
                }
                let failed = result["failed"]?.arrayValue ?? []
                print("job \(job) \(result["state"]?.stringValue ?? "?"): \(result["done"]?.intValue ?? 0)/\(result["total"]?.intValue ?? 0) frames, \(failed.count) failed, \(result["retries"]?.intValue ?? 0) retries, \(Format.milliseconds(result["elapsed_ms"]?.doubleValue))")
                print("frames: \(result["frames_dir"]?.stringValue ?? "?")")
                if let instances = result["instances"]?.arrayValue, !instances.isEmpty {
                    print("rendering on: \(instances.compactMap(\.stringValue).joined(separator: ", "))")
                }
                if let reason = result["reason"]?.stringValue { print("reason: \(reason)") }
                for failure in failed.prefix(20) {
                    print("  frame \(failure["frame"]?.intValue ?? -1): \(failure["reason"]?.stringValue ?? "?")")
                }
                if failed.count > 20 { print("  … \(failed.count - 20) more (--json for all)") }
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job (frames already done stay).")

        @OptionGroup var options: ConnectionOptions

        @Argument(help: "The job id.")
        var job: String

        func run() throws {
            try reporting(json: options.json) {
                let client = try options.connect()
                let result = try client.call("job.cancel", params: ["job": .string(job)])
                if options.json {
                    print(JSONText.pretty(result))
                } else if result["cancelled"]?.boolValue == true {
                    print("cancelled \(job)")
                } else {
                    print("job \(job) had already ended (\(result["state"]?.stringValue ?? "?"))")
                }
            }
        }
    }
}

/// The daemon resolves paths in its own working directory: send absolute ones.
func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path).standardized.path
}
