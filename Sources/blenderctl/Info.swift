import ArgumentParser
import BlenderdClient
import BlenderdProtocol
import Foundation
import JSONRPC

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's version, capabilities and load.")

    @OptionGroup var options: ConnectionOptions

    func run() throws {
        try reporting(json: options.json) {
            let client = try options.connect()
            let raw = try client.call(DaemonInfo.name, params: .object([:]))
            if options.json {
                print(JSONText.pretty(raw))
                return
            }
            let info: DaemonInfo.Result
            do { info = try JSONValueDecoder().decode(DaemonInfo.Result.self, from: raw) } catch {
                throw ClientError.io("unexpected daemon.info result: \(error)")
            }
            print("""
                \(info.name) \(info.version) (protocol \(info.protocolVersion)), pid \(info.pid)
                socket:       \(client.path)
                uptime:       \(JSONText.decimal(info.uptimeS, places: 1)) s
                connections:  \(info.connections)
                framings:     \(info.capabilities.framings.joined(separator: ", ")); attachments: \(info.capabilities.attachments ? "yes" : "no")
                max frame:    \(info.capabilities.maxFrameBytes) bytes
                methods:      \(info.capabilities.methods.joined(separator: ", "))
                instances:    \(info.instances); sessions: \(info.sessions)
                state dir:    \(info.stateDir ?? "none")
                """)
            if let sandbox = info.sandbox {
                print("sandbox:      \(sandbox.tier.rawValue) (spawned instances; each instance's own report: blenderctl call instance.list)")
                for layer in sandbox.layers {
                    let why = layer.detail ?? layer.reason ?? ""
                    print("  \(layer.name.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \(layer.status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(why)")
                }
            } else {
                print("sandbox:      none (instances run unsandboxed)")
            }
        }
    }
}
