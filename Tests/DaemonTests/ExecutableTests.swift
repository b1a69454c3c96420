import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// The real `blenderd` and `blenderctl` executables, as a user runs them.
@Suite("blenderd and blenderctl executables")
struct ExecutableTests {
    @Test func thousandConnectionsOpenedAndDroppedLeakNothing() throws {
        let daemon = try DaemonProcess()
        defer { #expect(daemon.terminate() == 0, "blenderd must exit 0 on SIGTERM") }
        let probe = try BlenderdClient(path: daemon.socketPath)
        #expect(try probe.call("daemon.ping")["pong"] == .bool(true))
        let baseline = try daemon.openDescriptors()
        for round in 0..<1000 {
            let client = try BlenderdClient(path: daemon.socketPath, framing: round.isMultiple(of: 2) ? .header : .newlineDelimited)
            if round.isMultiple(of: 3) {
                // Some leave mid-message, some after a reply, some without a word.
                try client.send(raw: Array(#"{"jsonrpc":"2.0","meth"#.utf8))
            } else if round.isMultiple(of: 5) {
                _ = try client.call("daemon.ping")
            }
            client.close()
        }
        #expect(try probe.call("daemon.ping")["pong"] == .bool(true))
        var now = try daemon.openDescriptors()
        for _ in 0..<100 where now != baseline {
            usleep(20_000)
            now = try daemon.openDescriptors()
        }
        #expect(now == baseline, "daemon fds: baseline \(baseline), after 1000 connections \(now)")
        let info = try probe.call("daemon.info", params: .object([:]))
        #expect(info["connections"] == .number(JSONNumber(1)))
    }

    @Test func sigtermShutsDownGracefully() throws {
        let daemon = try DaemonProcess()
        let client = try BlenderdClient(path: daemon.socketPath)
        #expect(try client.call("daemon.ping")["pong"] == .bool(true))
        let socketPath = daemon.socketPath
        let status = daemon.terminate()
        #expect(status == 0)
        #expect(!FileManager.default.fileExists(atPath: socketPath))
    }

    @Test func blenderctlPingInfoAndCall() throws {
        let daemon = try DaemonProcess()
        defer { #expect(daemon.terminate() == 0, "blenderd must exit 0 on SIGTERM") }
        let ping = try run("blenderctl", ["ping", "--socket", daemon.socketPath])
        #expect(ping.status == 0)
        #expect(ping.stdout.contains("pong"))
        let info = try run("blenderctl", ["info", "--socket", daemon.socketPath, "--json"])
        #expect(info.status == 0)
        let parsed = try JSON.parse(Array(info.stdout.utf8), maxDepth: 32)
        #expect(parsed["name"] == .string("blenderd"))
        let call = try run("blenderctl", ["call", "daemon.ping", "{}", "--socket", daemon.socketPath])
        #expect(call.status == 0)
        #expect(try JSON.parse(Array(call.stdout.utf8), maxDepth: 8)["pong"] == .bool(true))
        let unknown = try run("blenderctl", ["call", "no.such", "--socket", daemon.socketPath])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("-32601"))
        let missing = try run("blenderctl", ["ping", "--socket", daemon.directory + "/nope.sock"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("Is blenderd running?"))
    }

    @Test func environmentVariableSelectsTheSocket() throws {
        let daemon = try DaemonProcess()
        defer { #expect(daemon.terminate() == 0, "blenderd must exit 0 on SIGTERM") }
        let ping = try run("blenderctl", ["ping"], environment: ["BLENDERD_SOCKET": daemon.socketPath])
        #expect(ping.status == 0, "\(ping.stderr)")
    }

    private func run(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltExecutables.path(name))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["BLENDERD_SOCKET"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
