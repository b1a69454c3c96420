import ArgumentParser
import BlenderdMCP
import BlenderdProtocol

/// `blenderctl mcp`: an MCP server on stdio for MCP hosts (Claude Desktop, VS Code, …). The
/// logic is in BlenderdMCP; this only turns flags into its configuration (docs/mcp.md).
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve the Model Context Protocol on stdin/stdout, forwarding tools to the daemon.",
        discussion: """
            Each MCP client starts its own `blenderctl mcp`, which opens one daemon session on the \
            first tool call and closes it when the client leaves. Tools: execute_blender_code, \
            get_scene_info, get_object_info, render_views, export_scene, list_checkpoints, \
            restore_checkpoint, describe_blender_api. stdout carries MCP only; messages go to stderr.
            """)

    @Option(help: "Daemon socket (default: $BLENDERD_SOCKET, else the per-user default path).")
    var socket: String?

    @Option(help: ArgumentHelp("Blender version range for the session, e.g. \">=4.2\".", valueName: "range"))
    var blender: String?

    @Option(help: ArgumentHelp("cpu, gpu or auto (default auto).", valueName: "device"))
    var device: String?

    @Option(help: ArgumentHelp("A render engine the session's Blender must offer (CYCLES, BLENDER_EEVEE_NEXT, …).", valueName: "engine"))
    var engine: String?

    @Option(help: ArgumentHelp("strict, standard or trusted (an attached GUI Blender).", valueName: "tier"))
    var sandbox: String?

    @Flag(help: "Use a GUI Blender attached through the add-on instead of a headless one.")
    var gui = false

    @Option(help: ArgumentHelp("Default time limit of each script, seconds (default: the daemon's).", valueName: "seconds"))
    var timeout: Double?

    @Option(help: ArgumentHelp("Close the session after this long without a tool call, seconds.", valueName: "seconds"))
    var idleTimeout: Double = 1800

    @Option(help: ArgumentHelp("auto (a checkpoint after every successful script) or manual.", valueName: "policy"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Directory export_scene writes to (default: a new one under the temporary directory).", valueName: "dir"))
    var outDir: String?

    @Option(help: ArgumentHelp("Seconds to wait for any one daemon reply (default: no limit beyond the daemon's own).", valueName: "seconds"))
    var replyTimeout: Double?

    func run() throws {
        let session = SessionOpen.Params(
            device: device, headless: gui ? false : nil, blender: blender, engine: engine,
            timeoutS: timeout, idleTimeoutS: idleTimeout, sandbox: sandbox, checkpoint: checkpoint)
        let configuration = MCPConfiguration(
            socketPath: SocketPath.resolve(explicit: socket), session: session, outputDirectory: outDir,
            replyTimeout: replyTimeout)
        let status = MCPServer.runBlocking(configuration)
        if status != 0 { throw ExitCode(status) }
    }
}
