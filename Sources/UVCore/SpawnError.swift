// Reasons `Process.spawn` refuses to start a child that are about *our* setup rather than a libuv
// error code, each with a remedy. (A missing executable is a plain `UVError.notFound`.)

public struct SpawnError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case parentDeathSignalUnavailable, unsupportedSignal }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// `parentDeathSignal` was asked for but `setpriv` (util-linux) is not installed.
        public static let parentDeathSignalUnavailable = Code(.parentDeathSignalUnavailable)
        /// `parentDeathSignal` names a signal `setpriv --pdeathsig` cannot express.
        public static let unsupportedSignal = Code(.unsupportedSignal)

        public var description: String {
            switch base {
            case .parentDeathSignalUnavailable: "parentDeathSignalUnavailable"
            case .unsupportedSignal: "unsupportedSignal"
            }
        }
    }

    public let code: Code
    /// The executable we were asked to spawn.
    public let executable: String
    public let message: String

    public var description: String { "spawn \(executable): \(message)" }
}
