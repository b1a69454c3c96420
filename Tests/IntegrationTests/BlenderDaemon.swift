import BlenderdClient
import DaemonTestSupport
import Foundation
import InstancePool
import JSONRPC
import Testing

/// One daemon with both real launchers, shared by the integration tests (starting Blender costs
/// about a second; the tests are serialized so two cores are not oversubscribed).
enum BlenderDaemon {
    static let shared: Result<TestDaemon, any Error> = Result {
        let launchers = try RealBlender.launchers()
        let daemon = try TestDaemon(configure: { configuration in
            configuration.pool = PoolConfiguration(launchers: launchers, warm: 1, maxInstances: 3, queueLimitPerClient: 8)
            configuration.execTimeoutMilliseconds = 30_000
            // What blenderd does by default: every spawned instance in the strict sandbox.
            configuration.sandboxTier = .strict
        })
        daemon.stopAtExit()
        return daemon
    }

    static func daemon() throws -> TestDaemon { try shared.get() }

    static func client(framing: Framing = .newlineDelimited) throws -> BlenderdClient {
        try BlenderdClient(path: try daemon().socketPath, framing: framing, timeout: 60)
    }
}

extension BlenderdClient {
    /// Opens a session and returns its id.
    func openSession(_ params: JSONValue = [:]) throws -> String {
        let result = try call("session.open", params: params)
        return try #require(result["session"]?.stringValue)
    }

    func exec(_ session: String, _ code: String, timeout: Double? = nil) throws(ClientError) -> JSONValue {
        var params: [String: JSONValue] = ["session": .string(session), "code": .string(code)]
        if let timeout { params["timeout_s"] = .number(JSONNumber(timeout)) }
        return try call("script.exec", params: .object(params))
    }

    /// The error a call fails with, or nil if it succeeded.
    func error(_ method: String, _ params: JSONValue) -> RPCError? {
        do {
            _ = try call(method, params: params)
            return nil
        } catch .rpc(let error) {
            return error
        } catch {
            return RPCError(code: .internalError, message: "transport: \(error)")
        }
    }
}
