import BlenderdProtocol

/// How `blenderctl mcp` reaches the daemon and what session it asks for. Plain values, so the
/// command line only fills them in.
public struct MCPConfiguration: Sendable {
    /// The daemon's socket.
    public var socketPath: String
    /// Requirements of the session opened on the first tool call (`session` is what the daemon
    /// gets as `session.open`'s params).
    public var session: SessionOpen.Params
    /// Where `export_scene` writes files; nil: a new directory under the system's temporary
    /// directory, made on the first export.
    public var outputDirectory: String?
    /// Seconds to wait for any one daemon reply; nil waits as long as the daemon's own limits
    /// allow (a render may take minutes).
    public var replyTimeout: Double?

    public init(socketPath: String, session: SessionOpen.Params = SessionOpen.Params(), outputDirectory: String? = nil,
                replyTimeout: Double? = nil) {
        self.socketPath = socketPath
        self.session = session
        self.outputDirectory = outputDirectory
        self.replyTimeout = replyTimeout
    }
}
