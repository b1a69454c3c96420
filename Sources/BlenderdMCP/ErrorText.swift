import BlenderdClient
import JSONRPC

/// Daemon errors as text a model can act on. A script error is the common case and the one that
/// matters: the model fixes its code from type, message, line, the code line and the hints, so
/// those come first and in plain words; other errors say what went wrong and what to change,
/// with the daemon's `data` for the details.
enum ErrorText {
    static func describe(_ failure: LinkFailure, socketPath: String) -> String {
        switch failure {
        case .cancelled:
            return "Cancelled before it reached Blender."
        case .unavailable(let stage, let error):
            return unavailable(stage: stage, error, socketPath: socketPath)
        case .call(.rpc(let error)):
            return rpc(error)
        case .call(let error):
            return "The call failed: \(error)"
        }
    }

    private static func unavailable(stage: String, _ error: ClientError, socketPath: String) -> String {
        switch (stage, error) {
        case ("connect", .cannotConnect):
            return "blenderd is not reachable at \(socketPath). Start the daemon (`blenderd`), or point "
                + "`blenderctl mcp --socket` (or BLENDERD_SOCKET) at its socket. Nothing ran."
        case (_, .rpc(let rpcError)):
            return "Could not get a Blender session (\(stage)). " + rpc(rpcError)
        default:
            return "Could not get a Blender session (\(stage)): \(error)"
        }
    }

    static func rpc(_ error: RPCError) -> String {
        let data = error.data ?? .null
        switch error.code.rawValue {
        case -32010, -32003:
            return script(error, data)
        case -32004:
            var text = "Timeout: the call ran past its limit of \(number(data["timeout_s"]) ?? "?") s, so its Blender was killed and replaced."
            text += rollback(data)
            text += "\nMake the work smaller (fewer objects, lower subdivision levels or samples) or pass a larger timeout_s."
            return text
        case -32005:
            var text = "Blender crashed"
            if let reason = data["reason"]?.stringValue { text += ": \(reason)" }
            text += "."
            text += rollback(data)
            if let tail = data["output_tail"]?.arrayValue?.compactMap({ $0.stringValue }), !tail.isEmpty {
                text += "\nBlender's last output:\n" + tail.joined(separator: "\n")
            }
            text += "\nIf the same code crashes again, change it (often an operator called in the wrong context)."
            return text
        case -32006:
            if data["type"]?.stringValue != nil { return script(error, data) }
            return "Cancelled (\(data["reason"]?.stringValue ?? "cancelled"))." + rollback(data)
        default:
            var text = "blenderd error \(error.code.rawValue) (\(error.message))"
            if let reason = data["reason"]?.stringValue { text += ": \(reason)" }
            if let path = data["path"]?.stringValue { text += "\nAt argument: \(path.replacingPrefix("params.", with: ""))" }
            if let available = data["available"]?.arrayValue, !available.isEmpty {
                let names = available.compactMap { $0.stringValue }
                text += "\nAvailable: " + (names.count == available.count ? names.joined(separator: ", ") : JSON.string(.array(available)))
            }
            if let hint = data["hint"]?.stringValue { text += "\nHint: \(hint)" }
            if let retry = number(data["retry_after"]) { text += "\nTry again in \(retry) s." }
            if error.data != nil { text += "\nDetails: " + JSON.string(data) }
            return text
        }
    }

    /// A script that raised, or that the sandbox stopped.
    private static func script(_ error: RPCError, _ data: JSONValue) -> String {
        let type = data["type"]?.stringValue ?? error.message
        let message = data["message"]?.stringValue ?? ""
        var text = error.code.rawValue == -32003 ? "Sandbox violation: " : "Script error: "
        text += message.isEmpty ? type : "\(type): \(message)"
        if let line = data["line"]?.intValue {
            text += "\nLine \(line)"
            let frames = data["traceback"]?.arrayValue ?? []
            if let frame = frames.last(where: { $0["line"]?.intValue == line }) ?? frames.last,
               let source = frame["text"]?.stringValue, !source.isEmpty {
                text += ": \(source)"
            }
        }
        if let action = data["action"]?.stringValue {
            text += "\nForbidden action: \(action)"
            if let target = data["target"]?.stringValue { text += " (\(target))" }
        }
        if let hints = data["hints"]?.arrayValue?.compactMap({ $0.stringValue }), !hints.isEmpty {
            text += "\nHints:\n" + hints.map { "- \($0)" }.joined(separator: "\n")
        }
        if let frames = data["traceback"]?.arrayValue, frames.count > 1 {
            text += "\nTraceback (outermost first):"
            for frame in frames {
                let line = frame["line"]?.intValue.map(String.init) ?? "?"
                text += "\n  line \(line) in \(frame["function"]?.stringValue ?? "?"): \(frame["text"]?.stringValue ?? "")"
            }
        }
        for stream in ["stdout", "stderr"] {
            if let output = data[stream]?.stringValue, !output.isEmpty {
                text += "\n\(stream):\n" + output.trimmingTrailingNewlines()
            }
        }
        text += rollback(data)
        return text
    }

    /// What became of the scene after a failure (policy auto rolls it back).
    private static func rollback(_ data: JSONValue) -> String {
        guard let restored = data["restored_checkpoint"] else { return "" }
        if let checkpoint = restored.stringValue {
            return "\nThe scene was rolled back to checkpoint \(checkpoint): what this call changed is undone."
        }
        var text = "\nThe scene could not be rolled back to a checkpoint"
        if let reason = data["restore_error"]?.stringValue { text += " (\(reason))" }
        return text + "; it may be empty or as the call left it: check with get_scene_info."
    }

    static func number(_ value: JSONValue?) -> String? {
        guard let value, let number = value.numberValue else { return nil }
        return JSON.string(.number(number))
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }

    func trimmingTrailingNewlines() -> String {
        var text = self
        while text.last == "\n" { text.removeLast() }
        return text
    }
}
