import ArgumentParser
import BlenderdClient
import Foundation
import JSONRPC

/// `blenderctl exec FILE|-`: runs a Python file in the session's Blender. Success prints the
/// script's stdout, its `result` value and what it changed; a failure prints the error, the
/// offending line of the file and the daemon's hints, and exits 1.
struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a Python file in Blender; print its output, value and changes.",
        discussion: """
            Set a global `result` in the script to get a value back. Examples:
              blenderctl exec chair.py
              echo 'import bpy; result = len(bpy.data.objects)' | blenderctl exec -
              blenderctl exec --keep base.py    # keep the scene for later commands
            """)

    @OptionGroup var options: ConnectionOptions
    @OptionGroup var sessionOptions: SessionOptions

    @Argument(help: "A Python file, or - to read the script from stdin.")
    var file: String

    @Option(name: .customLong("timeout-s"), help: "Wall-clock limit of the script in seconds (default: the session's).")
    var timeoutS: Double?

    func run() throws {
        let source = try readSource()
        try reporting(json: options.json) {
            let client = try options.connect(defaultTimeout: max(600, (timeoutS ?? 0) + 60))
            try sessionOptions.run(on: client, json: options.json) { session in
                var params: [String: JSONValue] = ["session": .string(session), "code": .string(source)]
                if let timeoutS { params["timeout_s"] = .number(JSONNumber(timeoutS)) }
                do {
                    let result = try client.call("script.exec", params: .object(params))
                    if options.json {
                        print(JSONText.pretty(result))
                    } else {
                        printSuccess(result)
                    }
                } catch ClientError.rpc(let error) where error.code == .scriptError || error.code == .sandboxViolation {
                    if options.json {
                        print(JSONText.pretty(.object(["error": error.json])))
                    } else {
                        printFailure(error, source: source)
                    }
                    throw ExitCode(1)
                }
            }
        }
    }

    private var label: String { file == "-" ? "<stdin>" : file }

    private func readSource() throws -> String {
        let data: Data?
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            data = FileManager.default.contents(atPath: file)
        }
        guard let data, let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("cannot read \(file) as UTF-8 text")
        }
        return text
    }

    private func printSuccess(_ result: JSONValue) {
        if let stdout = result["stdout"]?.stringValue, !stdout.isEmpty {
            print(stdout, terminator: stdout.hasSuffix("\n") ? "" : "\n")
        }
        if let stderr = result["stderr"]?.stringValue, !stderr.isEmpty {
            writeStandardError(stderr.hasSuffix("\n") ? stderr : stderr + "\n")
        }
        if result["stdout_truncated"]?.boolValue == true { print("(stdout truncated)") }
        if let value = result["value"] { print("value: \(Format.compact(value, limit: 2000))") }
        print("changes: \(Format.changes(result["changes"]))")
        var tail = "took \(Format.milliseconds(result["duration_ms"]?.doubleValue))"
        if let checkpoint = result["checkpoint"]?.stringValue { tail += ", checkpoint \(checkpoint)" }
        if let why = result["checkpoint_error"]?.stringValue { tail += ", no checkpoint: \(why)" }
        print(tail)
        for report in result["reports"]?.arrayValue ?? [] {
            print("report \(report["type"]?.stringValue ?? "?"): \(report["message"]?.stringValue ?? "")")
        }
    }

    /// The error as the author needs it to fix the file: type and message at file:line, the
    /// line itself, the hints, what happened to the scene.
    private func printFailure(_ error: RPCError, source: String) {
        let data = error.data ?? .null
        if let stdout = data["stdout"]?.stringValue, !stdout.isEmpty {
            print(stdout, terminator: stdout.hasSuffix("\n") ? "" : "\n")
        }
        if let stderr = data["stderr"]?.stringValue, !stderr.isEmpty {
            writeStandardError(stderr.hasSuffix("\n") ? stderr : stderr + "\n")
        }
        let type = data["type"]?.stringValue ?? error.code.name
        let line = data["line"]?.intValue
        let place = line.map { "\(label):\($0)" } ?? label
        var out = ["blenderctl: \(type) at \(place): \(data["message"]?.stringValue ?? error.message)"]
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let frames = data["traceback"]?.arrayValue ?? []
        if frames.count > 1 {
            let chain = frames.map { "line \($0["line"]?.intValue.map(String.init) ?? "?") in \($0["function"]?.stringValue ?? "?")" }
            out.append("  traceback: " + chain.joined(separator: " → "))
        }
        if let line, line >= 1, line <= lines.count {
            let number = String(line)
            out.append("  \(number) | \(lines[line - 1])")
            if let offset = data["offset"]?.intValue, offset >= 1 {
                out.append("  " + String(repeating: " ", count: number.count) + " | " + String(repeating: " ", count: offset - 1) + "^")
            }
        } else if let text = frames.last?["text"]?.stringValue {
            out.append("  | \(text)")
        }
        if error.code == .sandboxViolation {
            let action = data["action"]?.stringValue ?? "?"
            let target = data["target"]?.stringValue ?? "?"
            out.append("  the sandbox (\(data["policy"]?.stringValue ?? "?")) refused: \(action) \(target)"
                + (data["caught"]?.boolValue == true ? " (the script caught it; the call still fails)" : ""))
            if let other = data["error"], let otherType = other["type"]?.stringValue {
                out.append("  the script then failed with \(otherType): \(other["message"]?.stringValue ?? "")")
            }
        }
        for hint in data["hints"]?.arrayValue ?? [] {
            if let text = hint.stringValue { out.append("  hint: \(text)") }
        }
        out += ErrorAdvice.restored(data).map { "  " + $0 }
        if data["instance_replaced"]?.boolValue == true { out.append("  the instance was replaced (out of memory)") }
        out.append(error.code == .sandboxViolation
            ? "  → change the script as the hints say (write under the workspace, use bpy instead of programs) and run it again"
            : "  → fix \(place) and run it again")
        writeStandardError(out.joined(separator: "\n") + "\n")
    }
}
