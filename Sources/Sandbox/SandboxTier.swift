// How much a worker is trusted. Scripts come from an LLM or a stranger, so every spawned worker is
// `strict` unless the operator says otherwise; `trusted` exists only for a GUI Blender its owner
// attached (the daemon did not start it and cannot wrap it).

public enum SandboxTier: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// bubblewrap + rlimits, or no instance at all: refuses to run without the OS layer.
    case strict
    /// The same layers where the machine has them; a missing layer is reported, not fatal.
    case standard
    /// No wrapping: the user's own GUI Blender, attached over the socket.
    case trusted

    /// The default for instances the pool spawns.
    public static let `default`: SandboxTier = .strict

    /// Whether a command is wrapped at all.
    public var wraps: Bool { self != .trusted }

    /// Whether a missing OS layer (bubblewrap, user namespaces, prlimit) is an error.
    public var requiresOSLayer: Bool { self == .strict }

    public var description: String { rawValue }
}
