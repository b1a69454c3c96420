import BlenderdClient
import JSONRPC

/// A daemon error as a person reads it: the code, what `data` says, and what to do next.
/// Programs act on `code` and `data` (`--json` prints them raw); this is the terminal's version.
enum ErrorAdvice {
    static func text(for error: RPCError) -> String {
        var lines = ["error \(error.code.rawValue) (\(error.code.name)): \(error.message)"]
        let data = error.data ?? .null
        if let reason = data["reason"]?.stringValue, error.code != .noInstance {
            lines.append("  reason: \(reason)")
        }
        lines += details(error.code, data).map { "  " + $0 }
        return lines.joined(separator: "\n")
    }

    private static func details(_ code: ErrorCode, _ data: JSONValue) -> [String] {
        switch code {
        case .unknownSession:
            let session = data["session"]?.stringValue ?? "?"
            return [
                "session \(session) does not exist (never opened, closed, or expired after its idle timeout).",
                "→ see the open sessions: blenderctl sessions",
                "→ open a new one: eval \"$(blenderctl sessions open --env)\" (or unset BLENDERD_SESSION to let each command open its own)",
            ]
        case .noInstance:
            var lines: [String] = []
            if let reason = data["reason"]?.stringValue { lines.append("reason: \(reason)") }
            if let requirements = data["requirements"], !requirements.isNull {
                lines.append("asked for: \(JSON.string(requirements))")
            }
            let available = data["available"]?.arrayValue ?? []
            if available.isEmpty {
                lines.append("the daemon has no Blender it can start; start blenderd with --blender PATH or --bpy-python PATH")
            } else {
                lines.append("available instances:")
                for entry in available { lines.append("  " + describeAvailable(entry)) }
                lines.append("→ relax the requirements to match one of them (e.g. --blender with a range that includes its version)")
            }
            return lines
        case .unauthorized:
            switch data["reason"]?.stringValue {
            case "not_owner":
                return ["the session belongs to another connection → pass its token (--token or BLENDERD_TOKEN) so blenderctl resumes it first"]
            case "bad_token":
                return ["the token does not match this session → use the token `blenderctl sessions open` printed for it"]
            case "peer_uid":
                return ["run blenderctl as the user the daemon runs as"]
            default:
                return data["remedy"]?.stringValue.map { ["→ \($0)"] } ?? []
            }
        case .overloaded:
            let wait = data["retry_after"]?.doubleValue.map { JSONText.decimal($0, places: 1) } ?? "a few"
            return ["the daemon is busy → try again in \(wait) s"]
        case .timeout:
            var lines = ["the call ran past its limit of \(data["timeout_s"]?.doubleValue.map { JSONText.decimal($0, places: 1) } ?? "?") s; the instance was replaced."]
            lines += restored(data)
            lines.append("→ make the work smaller, or raise the limit (--timeout-s)")
            return lines
        case .instanceCrashed:
            var lines = ["Blender exited while running the call (instance \(data["instance"]?.stringValue ?? "?"))."]
            for tail in (data["output_tail"]?.arrayValue ?? []).suffix(8) {
                if let text = tail.stringValue { lines.append("| " + text) }
            }
            lines += restored(data)
            lines.append("→ resend if the call is safe to repeat; if it crashes again, change the script (often a bad operator call)")
            return lines
        case .cancelled:
            return restored(data)
        case .invalidParams:
            var lines: [String] = []
            if let path = data["path"]?.stringValue { lines.append("at \(path)") }
            if let available = data["available"]?.arrayValue, !available.isEmpty {
                let names = available.compactMap(\.stringValue)
                lines.append("available: " + names.joined(separator: ", "))
            }
            if let supported = data["supported"]?.arrayValue, !supported.isEmpty {
                lines.append("supported: " + supported.compactMap(\.stringValue).joined(separator: ", "))
            }
            if let unknown = data["unknown"]?.arrayValue, !unknown.isEmpty {
                lines.append("unknown: " + unknown.compactMap(\.stringValue).joined(separator: ", "))
            }
            return lines
        case .methodNotFound:
            var lines: [String] = []
            if let suggestion = data["did_you_mean"]?.stringValue { lines.append("did you mean \(suggestion)?") }
            lines.append("→ this daemon does not offer \(data["method"]?.stringValue ?? "it"); see `blenderctl info` for its methods (a newer blenderd may have it)")
            return lines
        case .renderError:
            var lines: [String] = []
            if let hint = data["hint"]?.stringValue { lines.append("hint: \(hint)") }
            if let delivered = data["delivered"]?.arrayValue, !delivered.isEmpty {
                lines.append("views delivered before the failure: \(delivered.compactMap(\.intValue).map(String.init).joined(separator: ", "))")
            }
            lines.append("→ change the settings (engine, device, resolution, samples, format) and try again")
            return lines
        case .scriptError, .sandboxViolation:
            var lines: [String] = []
            if let type = data["type"]?.stringValue {
                let line = data["line"]?.intValue.map { " (line \($0))" } ?? ""
                lines.append("\(type)\(line): \(data["message"]?.stringValue ?? "")")
            }
            for hint in data["hints"]?.arrayValue ?? [] {
                if let text = hint.stringValue { lines.append("hint: \(text)") }
            }
            lines += restored(data)
            return lines
        case .internalError:
            return ["→ a bug or a Blender that could not start: see the daemon's log"]
        default:
            return data.isNull ? [] : ["data: \(JSON.string(data))"]
        }
    }

    /// What the daemon did to the scene before answering, if it says.
    static func restored(_ data: JSONValue) -> [String] {
        guard let object = data.objectValue, object.keys.contains("restored_checkpoint") else { return [] }
        if let checkpoint = data["restored_checkpoint"]?.stringValue {
            return ["the scene was rolled back to checkpoint \(checkpoint)"]
        }
        // No rollback: the daemon's reason says what the scene is now (one line, not a guess
        // that contradicts it).
        if let why = data["restore_error"]?.stringValue { return ["not rolled back: \(why)"] }
        return [data["instance_replaced"] == .bool(true)
            ? "the session had no checkpoint: its scene is now empty (a fresh Blender)"
            : "the session had no checkpoint to roll back to"]
    }

    private static func describeAvailable(_ entry: JSONValue) -> String {
        var parts: [String] = []
        if let instance = entry["instance"]?.stringValue { parts.append(instance) }
        parts.append(entry["kind"]?.stringValue ?? "?")
        parts.append("Blender \(entry["blender"]?.stringValue ?? "?")")
        if let headless = entry["headless"]?.boolValue { parts.append(headless ? "headless" : "GUI") }
        if let engines = entry["engines"]?.arrayValue {
            parts.append("engines " + engines.compactMap(\.stringValue).joined(separator: "/"))
        }
        if let devices = entry["devices"]?.arrayValue {
            parts.append("devices " + devices.compactMap { $0["type"]?.stringValue }.joined(separator: "/"))
        }
        return parts.joined(separator: ", ")
    }
}
