#if canImport(Glibc)
import Glibc
#endif

/// A failed POSIX call outside libuv (mkdir, chmod, stat, unlink on the socket path).
/// libuv's own calls go through UVCore's `uvCheck`; these go through `sysCheck`, so neither
/// module carries ad-hoc `if rc < 0` tests.
public struct SystemCallError: Error, CustomStringConvertible, Equatable {
    public let errno: Int32
    public let operation: String

    public var description: String {
        "\(operation): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}

/// Checks a POSIX return code: retries nothing (none of our calls block), throws with errno.
@discardableResult
func sysCheck(_ rc: Int32, _ operation: @autoclosure () -> String) throws(SystemCallError) -> Int32 {
    if rc == -1 { throw SystemCallError(errno: errno, operation: operation()) }
    return rc
}

/// `stat` that answers nil for a missing path instead of throwing.
func fileStatus(_ path: String) throws(SystemCallError) -> stat? {
    var st = stat()
    if stat(path, &st) == 0 { return st }
    if errno == ENOENT { return nil }
    throw SystemCallError(errno: errno, operation: "stat \(path)")
}

func isSocket(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFSOCK }
func isDirectory(_ st: stat) -> Bool { (st.st_mode & S_IFMT) == S_IFDIR }
