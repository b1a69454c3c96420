import ArgumentParser
import BlenderdClient
import BlenderdProtocol
import JSONRPC

struct Ping: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the daemon is alive (round-trip time).")

    @OptionGroup var options: ConnectionOptions

    func run() throws {
        try reporting(json: options.json) {
            let client = try options.connect()
            let start = MonotonicClock.nanoseconds()
            _ = try client.call(DaemonPing.self, .init())
            let micros = Double(MonotonicClock.nanoseconds() - start) / 1000
            if options.json {
                print(JSONText.pretty(["pong": true, "rtt_us": .number(JSONNumber(Int(micros.rounded())))]))
            } else {
                print("pong from \(client.path) in \(JSONText.decimal(micros / 1000, places: 3)) ms")
            }
        }
    }
}
