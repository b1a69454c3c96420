import JSONRPC
import MCP

/// A tool call's arguments that do not fit the tool's schema. It becomes a tool result with
/// `isError` (not a protocol error), so the model reads what to change and calls again.
struct ArgumentProblem: Error, CustomStringConvertible {
    let description: String
}

/// Typed reads of a tool call's arguments, checked against what the tool declares. Ranges are
/// left to the daemon, which checks every param and names the bad one in its error.
struct ToolArguments {
    private let values: [String: Value]

    init(_ values: [String: Value]?, allowed: Set<String>) throws(ArgumentProblem) {
        let values = values ?? [:]
        let unknown = values.keys.filter { !allowed.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw ArgumentProblem(description: "unknown argument\(unknown.count == 1 ? "" : "s") \(unknown.joined(separator: ", ")); "
                + "this tool takes \(allowed.sorted().joined(separator: ", "))")
        }
        self.values = values
    }

    func string(_ key: String) throws(ArgumentProblem) -> String? {
        switch values[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw Self.wrongType(key, "a string", other)
        }
    }

    func requiredString(_ key: String) throws(ArgumentProblem) -> String {
        guard let text = try string(key) else { throw ArgumentProblem(description: "missing required argument \(key) (a string)") }
        return text
    }

    func integer(_ key: String) throws(ArgumentProblem) -> Int? {
        switch values[key] {
        case nil, .null?: return nil
        case .int(let number)?: return number
        // JSON has one number type; some clients send 4.0 for 4.
        case .double(let number)? where number.rounded() == number && abs(number) < 1e15: return Int(number)
        case let other?: throw Self.wrongType(key, "an integer", other)
        }
    }

    func number(_ key: String) throws(ArgumentProblem) -> Double? {
        switch values[key] {
        case nil, .null?: return nil
        case .int(let number)?: return Double(number)
        case .double(let number)?: return number
        case let other?: throw Self.wrongType(key, "a number", other)
        }
    }

    func bool(_ key: String) throws(ArgumentProblem) -> Bool? {
        switch values[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw Self.wrongType(key, "true or false", other)
        }
    }

    func strings(_ key: String) throws(ArgumentProblem) -> [String]? {
        switch values[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            var out: [String] = []
            for item in items {
                guard case .string(let text) = item else { throw Self.wrongType(key, "an array of strings", .array(items)) }
                out.append(text)
            }
            return out
        case let other?: throw Self.wrongType(key, "an array of strings", other)
        }
    }

    func integers(_ key: String) throws(ArgumentProblem) -> [Int]? {
        switch values[key] {
        case nil, .null?: return nil
        case .array(let items)?:
            var out: [Int] = []
            for item in items {
                switch item {
                case .int(let number): out.append(number)
                case .double(let number) where number.rounded() == number && abs(number) < 1e15: out.append(Int(number))
                default: throw Self.wrongType(key, "an array of integers", .array(items))
                }
            }
            return out
        case let other?: throw Self.wrongType(key, "an array of integers", other)
        }
    }

    private static func wrongType(_ key: String, _ expected: String, _ got: Value) -> ArgumentProblem {
        let shown = JSON.string(JSONValue(mcp: got))
        return ArgumentProblem(description: "argument \(key) must be \(expected), got \(shown.count > 80 ? String(shown.prefix(80)) + "…" : shown)")
    }
}
