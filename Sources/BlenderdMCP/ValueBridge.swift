import JSONRPC
import MCP

// The MCP SDK has its own JSON value type (`Value`, Codable through Foundation); the daemon side
// speaks `JSONValue`. Tool arguments cross one way and nothing else needs to cross back, so the
// bridge is these two small conversions rather than a round trip through JSON text.

extension JSONValue {
    /// `value` as the daemon's JSON. The SDK decodes a string that looks like a data URL as
    /// `.data`; it goes back to the same string, so code that happens to start with `data:` is
    /// passed on as written.
    init(mcp value: MCP.Value) {
        switch value {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .int(let number): self = .number(JSONNumber(number))
        case .double(let number): self = .number(JSONNumber(number))
        case .string(let text): self = .string(text)
        case .data: self = .string(value.description)
        case .array(let items): self = .array(items.map(JSONValue.init(mcp:)))
        case .object(let members): self = .object(members.mapValues(JSONValue.init(mcp:)))
        }
    }
}

extension MCP.Value {
    /// The daemon's JSON as the SDK's value (for `structuredContent`).
    init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .number(let number):
            if let integer = number.int { self = .int(integer) } else { self = .double(number.double) }
        case .string(let text): self = .string(text)
        case .array(let items): self = .array(items.map(MCP.Value.init(json:)))
        case .object(let members): self = .object(members.mapValues(MCP.Value.init(json:)))
        }
    }
}
