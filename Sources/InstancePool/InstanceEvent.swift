// What the pool tells its owner (the daemon's sessions) about instances, through
// `InstancePool.onInstanceEvent`.

import JSONRPC
import UVCore

public enum InstanceEvent: Sendable, Equatable {
    /// A new instance joined the pool: spawned (state `starting`) or attached (state `ready`).
    case created
    /// Every state transition, `.dead` included.
    case stateChanged(from: InstanceState, to: InstanceState)
    /// A call exceeded its timeout: the instance is being killed (its death follows).
    case timedOut(method: String, timeoutMilliseconds: Int)
    /// The instance is gone. Sent after its outstanding calls failed with -32005 and after
    /// `.stateChanged(to: .dead)`. `instance.lease` still names the session that held it.
    case died(InstanceDeath)
}

public struct InstanceDeath: Sendable, Equatable, CustomStringConvertible {
    /// Why, in words fit for a log and for an LLM ("killed by signal 11", "script.exec timed out
    /// after 2 s", "protocol violation: …").
    public var reason: String
    /// The process's exit status; nil for an attached GUI (it detached, Blender lives on).
    public var exit: ExitStatus?
    /// True when the pool meant it (stop, recycle, shutdown, eviction); false for a crash, a
    /// timeout kill, a protocol violation or a failed start.
    public var expected: Bool

    public init(reason: String, exit: ExitStatus?, expected: Bool) {
        self.reason = reason
        self.exit = exit
        self.expected = expected
    }

    public var description: String {
        "\(expected ? "stopped" : "died"): \(reason)" + (exit.map { " (\($0))" } ?? "")
    }

    /// `{code, signal}` as -32005's `data.exit` carries it: `code` is the exit code (null when a
    /// signal ended the process), `signal` the signal number (null for a normal exit).
    public static func exitJSON(_ exit: ExitStatus?) -> JSONValue {
        switch exit {
        case .exited(let code)?: return ["code": .number(JSONNumber(Int(code))), "signal": .null]
        case .signaled(let signal)?: return ["code": .null, "signal": .number(JSONNumber(Int(signal)))]
        case nil: return .null
        }
    }
}
