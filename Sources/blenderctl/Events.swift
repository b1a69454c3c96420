import ArgumentParser
import BlenderdClient
import Foundation
import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// `blenderctl events`: follow a session (or everything) from another terminal with
/// `events.subscribe`: one line per event, or one JSON object per line with `--json`.
/// Following needs no ownership, so it never takes the session from the client working on it.
struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Follow a session's events (scripts, checkpoints, renders, instances), or all of them.",
        discussion: """
            Examples:
              blenderctl events --session s7f3a…      # what an agent's session is doing
              blenderctl events --all --json | jq .   # everything, one JSON object per line
            Following a session ends when it closes.
            """)

    @OptionGroup var options: ConnectionOptions

    @Option(help: "The session to follow (default: $BLENDERD_SESSION; without one: --all).")
    var session: String?

    @Flag(help: "Follow every session and instance.")
    var all = false

    @Option(help: "Stop after this many events.")
    var count: Int?

    func run() throws {
        try reporting(json: options.json) {
            let environment = ProcessInfo.processInfo.environment
            let followed = all ? nil : (session ?? environment["BLENDERD_SESSION"]).flatMap { $0.isEmpty ? nil : $0 }
            let client = try options.connect()
            let params: JSONValue = followed.map { ["session": .string($0)] } ?? ["all": true]
            let subscribed = try client.call("events.subscribe", params: params)
            // On stderr in --json mode too: a script (or a test) waits for it before acting.
            let what = followed.map { "session \($0)" } ?? "all sessions and instances"
            writeStandardError("following \(what) (subscription \(subscribed["subscription"]?.stringValue ?? "?"); Ctrl-C to stop)\n")
            // A quiet session can go minutes without an event; wait as long as it takes.
            client.timeout = options.timeout
            var seen = 0
            while count.map({ seen < $0 }) ?? true {
                let note = try client.nextNotification()
                let params = note.params ?? .null
                seen += 1
                writeLine(options.json ? JSON.string(["method": .string(note.method), "params": params]) : Self.line(note.method, params))
                if let followed, note.method == "session.state", params["session"]?.stringValue == followed,
                   ["closed", "expired"].contains(params["state"]?.stringValue ?? "")
                {
                    return
                }
            }
        }
    }

    /// One event as a line: time, session, what happened.
    static func line(_ method: String, _ params: JSONValue) -> String {
        var parts = [clock()]
        if let session = params["session"]?.stringValue { parts.append(session) }
        switch method {
        case "exec.result":
            if params["ok"]?.boolValue == true {
                var text = "exec ok \(Format.milliseconds(params["duration_ms"]?.doubleValue))"
                if let checkpoint = params["checkpoint"]?.stringValue { text += ", checkpoint \(checkpoint)" }
                text += ", changes: \(Format.changes(params["changes"]))"
                if let value = params["value"] { text += ", value \(Format.compact(value, limit: 120))" }
                parts.append(text)
            } else {
                let error = params["error"] ?? .null
                let data = error["data"] ?? .null
                var text = "exec failed \(error["code"]?.intValue.map(String.init) ?? "?")"
                if let type = data["type"]?.stringValue { text += " \(type)" }
                if let line = data["line"]?.intValue { text += " at line \(line)" }
                text += ": \(data["message"]?.stringValue ?? error["message"]?.stringValue ?? "")"
                parts.append(text)
            }
            if let stdout = params["stdout"]?.stringValue, !stdout.isEmpty {
                parts.append("stdout: " + Format.compact(.string(stdout), limit: 120))
            }
        case "checkpoint.saved":
            var text = "checkpoint \(params["checkpoint"]?.stringValue ?? "?") saved"
            if params["auto"]?.boolValue == true { text += " (auto)" }
            if let label = params["label"]?.stringValue { text += " \"\(label)\"" }
            parts.append(text)
        case "session.state":
            var text = "session \(params["state"]?.stringValue ?? "?")"
            if let checkpoint = params["checkpoint"]?.stringValue { text += " at \(checkpoint)" }
            if let reason = params["reason"]?.stringValue { text += ": \(reason)" }
            parts.append(text)
        case "instance.state":
            var text = "instance \(params["instance"]?.stringValue ?? "?") \(params["state"]?.stringValue ?? "?")"
            if let reason = params["reason"]?.stringValue { text += ": \(reason)" }
            parts.append(text)
        case "render.progress":
            var text = "render view \(params["view"]?.intValue ?? 0)/\(params["views"]?.intValue ?? 0)"
            if let done = params["samples_done"]?.intValue, let total = params["samples_total"]?.intValue {
                text += " \(done)/\(total) samples"
            }
            parts.append(text + " \(Format.milliseconds(params["elapsed_ms"]?.doubleValue))")
        case "render.image":
            parts.append("render image \(params["index"]?.intValue ?? 0) (\(params["pass"]?.stringValue ?? "final")): \(params["width"]?.intValue ?? 0)x\(params["height"]?.intValue ?? 0) \(params["mime"]?.stringValue ?? ""), \(Format.milliseconds(params["duration_ms"]?.doubleValue))")
        case "scene.export.file":
            parts.append("export file \(params["name"]?.stringValue ?? "?") \(params["bytes"]?.intValue.map(Format.bytes) ?? "")")
        case "job.progress":
            parts.append("job \(params["job"]?.stringValue ?? "?") \(params["state"]?.stringValue ?? "?"): \(params["done"]?.intValue ?? 0)/\(params["total"]?.intValue ?? 0) frames, \(params["failed"]?.intValue ?? 0) failed")
        case "job.frame":
            parts.append("job \(params["job"]?.stringValue ?? "?") frame \(params["frame"]?.intValue ?? -1): \(params["path"]?.stringValue ?? "")")
        case "events.dropped":
            parts.append("dropped \(params["dropped"]?.intValue ?? 0) events (this follower read too slowly)")
        default:
            parts.append("\(method) \(Format.compact(params, limit: 200))")
        }
        return parts.joined(separator: "  ")
    }

    private static func clock() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))"
    }
}
