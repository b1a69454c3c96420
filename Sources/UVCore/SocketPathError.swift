// A Unix socket path that can never work, reported with a remedy before libuv sees it.
//
// Why this exists: libuv 1.44's uv_pipe_bind and uv_pipe_connect copy the path into
// sockaddr_un.sun_path with a *truncating* strscpy, so a 120-byte path silently binds or connects
// to its first 107 bytes. We check first and say what to do instead.

#if canImport(Glibc)
import Glibc
#endif

public struct SocketPathError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Extensible: new cases can be added without breaking `switch`-free callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case tooLong, empty, containsNUL }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let tooLong = Code(.tooLong)
        public static let empty = Code(.empty)
        public static let containsNUL = Code(.containsNUL)

        public var description: String {
            switch base {
            case .tooLong: "tooLong"
            case .empty: "empty"
            case .containsNUL: "containsNUL"
            }
        }
    }

    /// The longest path (in bytes, without the terminating NUL) that fits sockaddr_un.sun_path.
    public static let maximumPathBytes: Int = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    public let code: Code
    public let path: String

    public var byteCount: Int { path.utf8.count }

    /// What is wrong and how to fix it, in one sentence.
    public var message: String {
        switch code {
        case .tooLong:
            "socket path is \(byteCount) bytes; Unix socket paths are limited to "
                + "\(Self.maximumPathBytes) — use a shorter --socket (or BLENDERD_SOCKET)"
        case .empty:
            "socket path is empty — pass a file path such as /tmp/blenderd-$UID/blenderd.sock"
        default:
            "socket path contains a NUL byte — pass a plain file path"
        }
    }

    public var description: String { "\(message): \(path)" }

    /// Returns the error for `path`, or nil when libuv can use it unchanged.
    static func check(_ path: String) -> SocketPathError? {
        if path.isEmpty { return SocketPathError(code: .empty, path: path) }
        if path.utf8.contains(0) { return SocketPathError(code: .containsNUL, path: path) }
        if path.utf8.count > maximumPathBytes { return SocketPathError(code: .tooLong, path: path) }
        return nil
    }
}
