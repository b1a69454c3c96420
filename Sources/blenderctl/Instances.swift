import ArgumentParser
import BlenderdClient
import JSONRPC

/// `blenderctl instances`: the pool (`instance.list`) as a table.
struct Instances: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the daemon's Blender instances.")

    @OptionGroup var options: ConnectionOptions

    func run() throws {
        try reporting(json: options.json) {
            let client = try options.connect()
            let result = try client.call("instance.list", params: .object([:]))
            if options.json {
                print(JSONText.pretty(result))
                return
            }
            let instances = result["instances"]?.arrayValue ?? []
            guard !instances.isEmpty else {
                print("no instances (the daemon starts one when a session needs it)")
                return
            }
            var table = Table(header: ["ID", "STATE", "KIND", "BLENDER", "PID", "RSS", "JOBS", "SESSION", "SANDBOX", "CPUS", "UPTIME"])
            for instance in instances {
                table.rows.append([
                    instance["id"]?.stringValue ?? "?",
                    instance["state"]?.stringValue ?? "?",
                    (instance["kind"]?.stringValue ?? "?") + (instance["headless"]?.boolValue == false ? " (GUI)" : ""),
                    instance["blender"]?.stringValue ?? "-",
                    instance["pid"]?.intValue.map(String.init) ?? "-",
                    instance["rss_bytes"]?.intValue.map(Format.bytes) ?? "-",
                    instance["jobs"]?.intValue.map(String.init) ?? "0",
                    instance["session"]?.stringValue ?? "-",
                    instance["sandbox"]?["tier"]?.stringValue ?? "none",
                    // --instance-cpus; "any" when the scheduler places it.
                    instance["cpus"]?.arrayValue.map { $0.compactMap(\.intValue).map(String.init).joined(separator: ",") } ?? "any",
                    Format.seconds(instance["uptime_s"]?.doubleValue),
                ])
            }
            print(table.render())
        }
    }
}
