import ArgumentParser
import BlenderdClient
import Foundation
import JSONRPC

/// `blenderctl sessions [list|open|close]`: the daemon's sessions, and a session that outlives
/// one command: `open` leaves it detached and prints its id and token, later commands resume it
/// through `--session/--token` or `BLENDERD_SESSION/BLENDERD_TOKEN`.
struct Sessions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, open and close sessions.",
        discussion: """
            A multi-step workflow on one scene:
              eval "$(blenderctl sessions open --env)"
              blenderctl exec base.py && blenderctl exec legs.py
              blenderctl render --views 4 --out renders/
              blenderctl checkpoints; blenderctl restore c1
              blenderctl sessions close
            """,
        subcommands: [List.self, Open.self, Close.self],
        defaultSubcommand: List.self,
        aliases: ["session"])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every open session of the daemon.")

        @OptionGroup var options: ConnectionOptions

        func run() throws {
            try reporting(json: options.json) {
                let client = try options.connect()
                let result = try client.call("session.list", params: .object([:]))
                if options.json {
                    print(JSONText.pretty(result))
                    return
                }
                let sessions = result["sessions"]?.arrayValue ?? []
                guard !sessions.isEmpty else {
                    print("no sessions (open one: eval \"$(blenderctl sessions open --env)\")")
                    return
                }
                var table = Table(header: ["SESSION", "INSTANCE", "BLENDER", "ATTACHED", "EXECS", "IDLE", "CHECKPOINT", "CHECKPOINTS"])
                for session in sessions {
                    table.rows.append([
                        session["session"]?.stringValue ?? "?",
                        session["instance"]?.stringValue ?? "-",
                        session["blender"]?.stringValue ?? "?",
                        session["attached"]?.boolValue == true ? "yes" : "no",
                        session["execs"]?.intValue.map(String.init) ?? "0",
                        Format.seconds(session["idle_s"]?.doubleValue),
                        session["checkpoint"]?.stringValue ?? "-",
                        session["checkpoints"]?.intValue.map(String.init) ?? "0",
                    ])
                }
                print(table.render())
            }
        }
    }

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a session that stays open after this command; print its id and token.",
            discussion: "Use it from later commands: eval \"$(blenderctl sessions open --env)\"")

        @OptionGroup var options: ConnectionOptions

        @Flag(help: "Print only shell `export` lines for BLENDERD_SESSION and BLENDERD_TOKEN (for eval).")
        var env = false

        @Option(help: "Blender version range, e.g. \">=4.2\".")
        var blender: String?

        @Option(help: "cpu, gpu or auto.")
        var device: String?

        @Option(help: "A render engine the instance must offer (CYCLES, BLENDER_EEVEE_NEXT, …).")
        var engine: String?

        @Option(help: "strict, standard or trusted (an attached GUI Blender).")
        var sandbox: String?

        @Option(help: "auto (a checkpoint after every successful exec; default) or manual.")
        var checkpoint: String?

        @Option(name: .customLong("timeout-s"), help: "Default limit of each call on the session, in seconds.")
        var timeoutS: Double?

        @Option(name: .customLong("idle-timeout-s"), help: "Close the session after this many seconds without a call (default: the daemon's, 600).")
        var idleTimeoutS: Double?

        func run() throws {
            try reporting(json: options.json) {
                let client = try options.connect(defaultTimeout: 600)
                var params: [String: JSONValue] = [:]
                if let blender { params["blender"] = .string(blender) }
                if let device { params["device"] = .string(device) }
                if let engine { params["engine"] = .string(engine) }
                if let sandbox { params["sandbox"] = .string(sandbox) }
                if let checkpoint { params["checkpoint"] = .string(checkpoint) }
                if let timeoutS { params["timeout_s"] = .number(JSONNumber(timeoutS)) }
                if let idleTimeoutS { params["idle_timeout_s"] = .number(JSONNumber(idleTimeoutS)) }
                let result = try client.call("session.open", params: .object(params))
                let id = result["session"]?.stringValue ?? "?"
                let token = result["token"]?.stringValue ?? "?"
                let exports = "export BLENDERD_SESSION=\(shellQuoted(id)) BLENDERD_TOKEN=\(shellQuoted(token))"
                if options.json {
                    print(JSONText.pretty(result))
                } else if env {
                    print(exports)
                } else {
                    print("""
                        session \(id) on \(result["instance"]?.stringValue ?? "?") (Blender \(result["blender"]?.stringValue ?? "?"), \(result["kind"]?.stringValue ?? "?"))
                        token   \(token)
                        Later commands use it with --session/--token, or after:
                          \(exports)
                        It closes after its idle timeout, or with: blenderctl sessions close
                        """)
                }
            }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a session (default: $BLENDERD_SESSION).")

        @OptionGroup var options: ConnectionOptions

        @Argument(help: "The session (default: $BLENDERD_SESSION).")
        var session: String?

        @Option(help: "Its token (default: $BLENDERD_TOKEN).")
        var token: String?

        func run() throws {
            try reporting(json: options.json) {
                let environment = ProcessInfo.processInfo.environment
                guard let id = session ?? environment["BLENDERD_SESSION"], !id.isEmpty else {
                    throw Failure("which session? pass its id or set BLENDERD_SESSION (see `blenderctl sessions`)", exitCode: 64)
                }
                guard let token = token ?? environment["BLENDERD_TOKEN"], !token.isEmpty else {
                    throw Failure("closing session \(id) needs its token: --token or BLENDERD_TOKEN (printed by `blenderctl sessions open`)", exitCode: 64)
                }
                let client = try options.connect(defaultTimeout: 600)
                _ = try client.call("session.resume", params: ["session": .string(id), "token": .string(token)])
                let result = try client.call("session.close", params: ["session": .string(id)])
                if options.json {
                    print(JSONText.pretty(result))
                } else {
                    print("closed \(id)" + (session == nil ? " (unset BLENDERD_SESSION BLENDERD_TOKEN)" : ""))
                }
            }
        }
    }
}

/// `text` as one shell word.
func shellQuoted(_ text: String) -> String {
    let safe = text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_.:/".unicodeScalars.contains($0) }
    return safe ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
