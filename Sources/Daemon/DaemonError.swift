import UVCore

/// Why the daemon could not start or keep serving, each with what the operator can do about it.
public struct DaemonError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        case alreadyRunning
        case socketDirectory
        case socketPath
        case listen
        case loop
        case stateDirectory
        case sandbox
    }

    public let code: Code
    public let message: String
    public let remedy: String
    public let cause: (any Error)?

    public init(_ code: Code, _ message: String, remedy: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.remedy = remedy
        self.cause = cause
    }

    public var description: String {
        var text = "\(message)\n  remedy: \(remedy)"
        if let cause { text += "\n  cause: \(cause)" }
        return text
    }

    static func alreadyRunning(_ path: String) -> DaemonError {
        DaemonError(
            .alreadyRunning, "another daemon is listening on \(path)",
            remedy: "use that daemon (blenderctl --socket \(path) info), stop it, or start this one with a different --socket")
    }
}
