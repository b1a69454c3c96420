import ArgumentParser
import BlenderdClient
import BlenderdProtocol
import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// `blenderctl`: a terminal for the daemon. Each subcommand is a small file; this one only
/// wires them together and holds the options every subcommand shares.
@main
struct BlenderctlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blenderctl",
        abstract: "Talk to a running blenderd.",
        discussion: """
            Commands that work on a scene open a session for the call and close it
            afterwards, or continue a kept one given by --session/--token (or by
            BLENDERD_SESSION/BLENDERD_TOKEN):
              eval "$(blenderctl sessions open --env)"
              blenderctl exec model.py && blenderctl render --out renders/
            """,
        version: BlenderdVersion.daemon,
        subcommands: [
            Ping.self, Info.self, Call.self, Exec.self, Render.self, Export.self, Scene.self, Describe.self,
            Instances.self, Sessions.self, Checkpoints.self, Restore.self, Job.self, Events.self, MCPCommand.self,
        ])
}

/// Options shared by every subcommand.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Daemon socket (default: $BLENDERD_SOCKET, else the per-user default path).")
    var socket: String?

    @Option(help: "Seconds to wait for each message from the daemon (default 60; 600 for commands that run Blender).")
    var timeout: Double?

    @Flag(help: "Print machine-readable JSON instead of text.")
    var json = false

    /// `framing: .header` for binary attachments (render, export); `defaultTimeout` for calls
    /// that wait on Blender (a script, a render) rather than on the daemon alone.
    func connect(framing: Framing = .newlineDelimited, defaultTimeout: Double = 60) throws -> BlenderdClient {
        do {
            let client = try BlenderdClient(path: SocketPath.resolve(explicit: socket), framing: framing, timeout: timeout ?? defaultTimeout)
            Interrupts.install()
            client.interruption = Interrupts.take
            return client
        } catch {
            throw Failure(error)
        }
    }
}
