import JSONRPC

/// What can go wrong talking to a daemon, with what to do about it.
public enum ClientError: Error, CustomStringConvertible {
    /// No daemon answers on the path.
    case cannotConnect(path: String, errno: Int32)
    /// The daemon answered with a JSON-RPC error.
    case rpc(RPCError)
    case timedOut(seconds: Double)
    /// The connection broke or the daemon sent something we cannot read.
    case io(String)
    case closedByDaemon
    /// The user asked to stop (Ctrl-C: `BlenderdClient.interruption`); a call that was running
    /// was cancelled with `request.cancel` first.
    case interrupted

    public var description: String {
        switch self {
        case .cannotConnect(let path, let code):
            return "cannot connect to \(path): \(describeErrno(code)). "
                + "Is blenderd running? Start it with `blenderd --socket \(path)` or point --socket/BLENDERD_SOCKET at the right path."
        case .rpc(let error):
            var text = "error \(error.code.rawValue) (\(error.code.name)): \(error.message)"
            if let data = error.data { text += "\n  data: \(JSON.string(data))" }
            return text
        case .timedOut(let seconds):
            return "no reply within \(seconds) s; the daemon may be overloaded (try again, or raise --timeout)"
        case .io(let what):
            return "connection error: \(what)"
        case .closedByDaemon:
            return "the daemon closed the connection (see its log for the reason)"
        case .interrupted:
            return "interrupted"
        }
    }
}
