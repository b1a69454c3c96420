import ArgumentParser
import BlenderdClient
import Foundation
import JSONRPC

/// Which session a command works on. Sessions are owned per connection and every blenderctl
/// run is a new connection, so a command either opens a session for itself (and closes it at
/// the end, unless `--keep`) or takes over an existing one with `session.resume` and its token.
/// `BLENDERD_SESSION` / `BLENDERD_TOKEN` carry a session across commands
/// (`eval "$(blenderctl sessions open --env)"`).
struct SessionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Work on this session (default: $BLENDERD_SESSION). Without one, the command opens a session and closes it at the end.", valueName: "id"))
    var session: String?

    @Option(help: ArgumentHelp("The session's token, printed by `blenderctl sessions open` (default: $BLENDERD_TOKEN).", valueName: "token"))
    var token: String?

    @Flag(help: "Keep the session this command opens and print its id and token for later commands.")
    var keep = false

    @Option(help: ArgumentHelp("Blender version range for a session this command opens, e.g. \">=4.2\".", valueName: "range"))
    var blender: String?

    /// The session named on the command line or in the environment, if any.
    var named: (id: String, token: String?)? {
        let environment = ProcessInfo.processInfo.environment
        if let session, !session.isEmpty { return (session, token ?? environment["BLENDERD_TOKEN"]) }
        if let id = environment["BLENDERD_SESSION"], !id.isEmpty {
            return (id, token ?? environment["BLENDERD_TOKEN"])
        }
        return nil
    }

    /// Runs `body` on a session owned by `client`'s connection: the named one (resumed with its
    /// token) or one opened for this command. A session opened here is closed afterwards,
    /// success or failure, unless `--keep`; then its id and token go to stderr.
    func run<T>(on client: BlenderdClient, json: Bool, _ body: (String) throws -> T) throws -> T {
        let lease = try acquire(client)
        let value: T
        do {
            value = try body(lease.id)
        } catch {
            release(lease, client: client, json: json)
            throw error
        }
        release(lease, client: client, json: json)
        return value
    }

    struct Lease {
        var id: String
        var token: String
        var openedHere: Bool
    }

    func acquire(_ client: BlenderdClient) throws -> Lease {
        if let named {
            guard let token = named.token, !token.isEmpty else {
                throw Failure(
                    "session \(named.id) was opened by another connection; blenderctl needs its token to take it over.\n"
                        + "  Pass --token TOKEN or set BLENDERD_TOKEN (both printed by `blenderctl sessions open`), or unset BLENDERD_SESSION to use a fresh session.",
                    exitCode: 64)
            }
            _ = try client.call("session.resume", params: ["session": .string(named.id), "token": .string(token)])
            return Lease(id: named.id, token: token, openedHere: false)
        }
        var params: [String: JSONValue] = [:]
        if let blender { params["blender"] = .string(blender) }
        // A session opened for one command that dies (Ctrl-C) would stay leased, detached, for
        // the daemon's default idle timeout; a short one gives its instance back soon after.
        if !keep { params["idle_timeout_s"] = 60 }
        let opened = try client.call("session.open", params: .object(params))
        guard let id = opened["session"]?.stringValue, let token = opened["token"]?.stringValue else {
            throw ClientError.io("session.open answered without session or token: \(JSON.string(opened))")
        }
        return Lease(id: id, token: token, openedHere: true)
    }

    func release(_ lease: Lease, client: BlenderdClient, json: Bool) {
        guard lease.openedHere else { return }
        if keep {
            writeStandardError("""
                blenderctl: kept session \(lease.id); use it in later commands with
                  export BLENDERD_SESSION=\(lease.id) BLENDERD_TOKEN=\(lease.token)

                """)
            return
        }
        // Best effort: if the connection broke, the short idle timeout ends the session.
        _ = try? client.call("session.close", params: ["session": .string(lease.id)])
    }
}
