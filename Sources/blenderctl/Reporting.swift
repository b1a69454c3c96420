import ArgumentParser
import BlenderdClient
import JSONRPC

/// A failure printed the way the user can act on it, with a non-zero exit code.
struct Failure: Error, CustomStringConvertible {
    let description: String
    let exitCode: Int32
    /// The daemon's error, printed raw under `--json`.
    var rpc: RPCError?

    init(_ error: ClientError) {
        switch error {
        case .rpc(let rpc):
            description = ErrorAdvice.text(for: rpc)
            self.rpc = rpc
        default:
            description = error.description
        }
        switch error {
        case .cannotConnect: exitCode = 69  // EX_UNAVAILABLE
        case .rpc: exitCode = 1
        case .timedOut: exitCode = 75  // EX_TEMPFAIL
        case .io, .closedByDaemon: exitCode = 74  // EX_IOERR
        case .interrupted: exitCode = 130  // 128 + SIGINT, as a shell reports Ctrl-C
        }
    }

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
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
            emitFailure(failure, json: json)
            throw ExitCode(failure.exitCode)
        }
    }

    private func emitFailure(_ failure: Failure, json: Bool) {
        if json {
            if let rpc = failure.rpc {
                print(JSONText.pretty(.object(["error": rpc.json])))
            } else {
                print(JSONText.pretty(.object(["error": ["message": .string(failure.description)]])))
            }
        } else {
            writeStandardError("blenderctl: \(failure.description)\n")
        }
    }
}
