#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the daemon listens when nobody says otherwise. Shared by the daemon and every client so
/// they meet without configuration: `--socket`, then `$BLENDERD_SOCKET`, then
/// `$XDG_RUNTIME_DIR/blenderd/blenderd.sock`, then `/tmp/blenderd-$UID/blenderd.sock`.
public enum SocketPath {
    public static let environmentVariable = "BLENDERD_SOCKET"

    public static func resolve(explicit: String?) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnv = environment(environmentVariable), !fromEnv.isEmpty { return fromEnv }
        return defaultPath()
    }

    public static func defaultPath() -> String {
        if let runtime = environment("XDG_RUNTIME_DIR"), !runtime.isEmpty {
            return runtime + "/blenderd/blenderd.sock"
        }
        return "/tmp/blenderd-\(getuid())/blenderd.sock"
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}
