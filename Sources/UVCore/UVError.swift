// A libuv error code as a value, in the manner of swift-system's `Errno`: the negative code libuv
// returned, the operation that failed, and named members so callers can write
// `catch UVError.addressInUse` or `if error == .connectionRefused`.
//
// Equality and hashing look at the code only: the operation is context for people reading logs,
// not part of what the error *is*. Domain errors with a remedy (`SocketPathError`, `SpawnError`)
// are separate types: libuv codes and ours never share one integer space.

internal import CLibUV

public struct UVError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The libuv error code (a negative errno on Unix, or one of libuv's own such as UV_EOF).
    public let code: Int32
    /// What failed, e.g. `uv_pipe_bind /run/user/1000/blenderd/blenderd.sock`.
    public let operation: String

    public init(code: Int32, operation: String = "") {
        self.code = code
        self.operation = operation
    }

    init(_ code: uv_errno_t, _ operation: String = "") {
        self.init(code: code.rawValue, operation: operation)
    }

    /// The symbolic name, e.g. "ECONNREFUSED" (uv_err_name).
    public var name: String { String(cString: uv_err_name(code)) }
    /// The human message, e.g. "connection refused" (uv_strerror).
    public var message: String { String(cString: uv_strerror(code)) }

    public var description: String {
        operation.isEmpty ? "\(name): \(message)" : "\(operation): \(message) (\(name))"
    }

    /// The same error with a different operation (used when a lower layer's operation string is
    /// less useful than the caller's, e.g. "spawn blender" rather than "uv_spawn").
    public func with(operation: String) -> UVError { UVError(code: code, operation: operation) }

    public static func == (lhs: UVError, rhs: UVError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// `catch UVError.connectionRefused { … }` and `case UVError.eof:` over an `any Error`.
    public static func ~= (pattern: UVError, value: any Error) -> Bool {
        (value as? UVError)?.code == pattern.code
    }
}

extension UVError {
    public static let eof = UVError(UV_EOF)
    public static let again = UVError(UV_EAGAIN)
    public static let addressInUse = UVError(UV_EADDRINUSE)
    public static let connectionRefused = UVError(UV_ECONNREFUSED)
    public static let connectionReset = UVError(UV_ECONNRESET)
    public static let notConnected = UVError(UV_ENOTCONN)
    public static let notFound = UVError(UV_ENOENT)
    public static let brokenPipe = UVError(UV_EPIPE)
    public static let canceled = UVError(UV_ECANCELED)
    public static let busy = UVError(UV_EBUSY)
    public static let invalidArgument = UVError(UV_EINVAL)
    public static let nameTooLong = UVError(UV_ENAMETOOLONG)
    public static let permissionDenied = UVError(UV_EACCES)
    public static let notPermitted = UVError(UV_EPERM)
    public static let noSuchProcess = UVError(UV_ESRCH)
    public static let badFileDescriptor = UVError(UV_EBADF)
    public static let alreadyExists = UVError(UV_EEXIST)
    public static let tooManyOpenFiles = UVError(UV_EMFILE)
    public static let timedOut = UVError(UV_ETIMEDOUT)
    public static let noMemory = UVError(UV_ENOMEM)
}
