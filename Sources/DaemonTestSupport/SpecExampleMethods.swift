import Daemon
import JSONRPC

/// The methods used by the JSON-RPC 2.0 specification's section 7 examples, with the semantics
/// protocol/tests/README.md gives them, so the spec transcripts replay against the real daemon.
public enum SpecExampleMethods {
    public static func register(_ table: MethodTable) {
        table.registerRaw("subtract") { request, _, reply in
            switch request.params {
            case .array(let values) where values.count == 2:
                guard let a = values[0].doubleValue, let b = values[1].doubleValue else {
                    return reply(.failure(invalid("subtract takes two numbers")))
                }
                reply(.success(number(a - b)))
            case .object(let members):
                guard let a = members["minuend"]?.doubleValue, let b = members["subtrahend"]?.doubleValue else {
                    return reply(.failure(invalid("subtract takes minuend and subtrahend")))
                }
                reply(.success(number(a - b)))
            default:
                reply(.failure(invalid("subtract takes [a, b] or {minuend, subtrahend}")))
            }
        }
        table.registerRaw("sum") { request, _, reply in
            guard case .array(let values)? = request.params else {
                return reply(.failure(invalid("sum takes an array of numbers")))
            }
            var total = 0.0
            for value in values {
                guard let number = value.doubleValue else { return reply(.failure(invalid("sum takes numbers"))) }
                total += number
            }
            reply(.success(number(total)))
        }
        table.registerRaw("get_data") { _, _, reply in
            reply(.success(.array([.string("hello"), .number(JSONNumber(5))])))
        }
        for name in ["update", "notify_hello", "notify_sum"] {
            table.registerRaw(name) { _, _, reply in reply(.success(.null)) }
        }
    }

    /// Integral results print as integers (`19`, not `19.0`), as the spec's examples show.
    private static func number(_ value: Double) -> JSONValue {
        if value == value.rounded(), abs(value) < 1e15 { return .number(JSONNumber(Int(value))) }
        return .number(JSONNumber(value))
    }

    private static func invalid(_ reason: String) -> RPCError {
        RPCError(code: .invalidParams, message: reason, data: ["reason": .string(reason)])
    }
}
