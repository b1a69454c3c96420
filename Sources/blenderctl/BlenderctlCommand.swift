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
        version: BlenderdVersion.daemon,
        subcommands: [Ping.self, Info.self, Call.self, MCPCommand.self])
}

/// Options shared by every subcommand.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Daemon socket (default: $BLENDERD_SOCKET, else the per-user default path).")
    var socket: String?

    @Option(help: "Seconds to wait for a reply.")
    var timeout: Double = 60

    @Flag(help: "Print machine-readable JSON instead of text.")
    var json = false

    func connect() throws -> BlenderdClient {
        do {
            return try BlenderdClient(path: SocketPath.resolve(explicit: socket), timeout: timeout)
        } catch {
            throw Failure(error)
        }
    }
}

/// A failure printed the way the user can act on it, with a non-zero exit code.
struct Failure: Error, CustomStringConvertible {
    let description: String
    let exitCode: Int32

    init(_ error: ClientError) {
        description = error.description
        switch error {
        case .cannotConnect: exitCode = 69  // EX_UNAVAILABLE
        case .rpc: exitCode = 1
        case .timedOut: exitCode = 75  // EX_TEMPFAIL
        case .io, .closedByDaemon: exitCode = 74  // EX_IOERR
        }
    }
}

extension ParsableCommand {
    /// Runs `body`, turning client errors into a message on stderr and an exit code, and JSON
    /// mode errors into a JSON object on stdout (so scripts can read both outcomes).
    func reporting(json: Bool, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as Failure {
            emitFailure(failure, json: json)
            throw ExitCode(failure.exitCode)
        } catch let error as ClientError {
            let failure = Failure(error)
            if json, case .rpc(let rpc) = error {
                print(JSONText.pretty(.object(["error": rpc.json])))
            } else {
                emitFailure(failure, json: json)
            }
            throw ExitCode(failure.exitCode)
        }
    }

    private func emitFailure(_ failure: Failure, json: Bool) {
        if json {
            print(JSONText.pretty(.object(["error": ["message": .string(failure.description)]])))
        } else {
            writeStandardError("blenderctl: \(failure.description)\n")
        }
    }
}

/// Writes to fd 2 directly: C's `stderr` global is shared mutable state Swift 6 will not touch.
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}
