import ArgumentParser
import BlenderdClient
import JSONRPC

/// `blenderctl call METHOD [PARAMS]`: any method, params as JSON text, result printed as JSON.
struct Call: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call any method with JSON params and print the JSON result.",
        discussion: "Example: blenderctl call daemon.info '{}'. On a JSON-RPC error the error is printed and the exit code is 1.")

    @OptionGroup var options: ConnectionOptions

    @Argument(help: "Method name, e.g. daemon.info.")
    var method: String

    @Argument(help: "Params as a JSON object (by name). Omit for none.")
    var params: String?

    func run() throws {
        var parsed: JSONValue?
        if let params {
            do { parsed = try JSON.parse(Array(params.utf8), maxDepth: 128) } catch {
                throw ValidationError("PARAMS is not valid JSON: \(error)")
            }
        }
        try reporting(json: options.json) {
            let client = try options.connect()
            let result = try client.call(method, params: parsed)
            print(JSONText.pretty(result))
        }
    }
}
