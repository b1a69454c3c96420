// The one place a libuv (or, rarely, POSIX) return code becomes a Swift error, so every call site
// reads `try uvCheck(uv_x(...), "uv_x \(what)")` and no call site tests `rc < 0` on its own.
// Modelled on swift-nio's `syscall(blocking:where:)`: EINTR needs no retry here because libuv
// retries it internally; EFAULT means we handed libuv a bad pointer — our bug, so we trap. EBADF is
// thrown rather than trapped because `Connection.open(fd:)` takes descriptors from callers.

internal import CLibUV
#if canImport(Glibc)
import Glibc
#endif

@discardableResult
@inline(__always)
func uvCheck(_ rc: Int32, _ operation: @autoclosure () -> String) throws(UVError) -> Int32 {
    if rc >= 0 { return rc }
    precondition(rc != UV_EFAULT.rawValue, "libuv reported EFAULT in \(operation()): a UVCore bug")
    throw UVError(code: rc, operation: operation())
}

/// A POSIX call's result in libuv's convention (0 or a negative errno), for `uvCheck`.
@inline(__always)
func uvResult(posixReturn: Int32) -> Int32 {
    posixReturn == -1 ? -errno : posixReturn
}
