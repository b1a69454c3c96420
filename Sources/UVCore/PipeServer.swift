// A listening Unix socket (uv_pipe_t bind + listen). The daemon sets the socket file's mode
// itself after `bind`. Note libuv unlinks the socket file when a bound server closes.

internal import CLibUV

public final class PipeServer: HandleOwner {
    let storage: HandleStorage
    private var onConnection: ((Result<Connection, UVError>) -> Void)?
    /// The path passed to a successful `bind`.
    public private(set) var path: String?

    private var pipe: UnsafeMutablePointer<uv_pipe_t> { storage.pointer(as: uv_pipe_t.self) }

    public init(loop: EventLoop) throws(UVError) {
        loop.assertOnLoopThread()
        storage = try HandleStorage.initialized(loop: loop, for: uv_pipe_t.self, "uv_pipe_init") {
            uv_pipe_init(loop.uvLoop, $0, 0)
        }
        storage.adopt(self)
    }

    /// Binds to `path`. Throws `SocketPathError` for a path that cannot fit a sockaddr_un (libuv
    /// would silently truncate it), `UVError.addressInUse` when a file is already there.
    public func bind(path: String) throws {
        if let problem = SocketPathError.check(path) { throw problem }
        try storage.requireOpen("uv_pipe_bind")
        try uvCheck(uv_pipe_bind(pipe, path), "uv_pipe_bind \(path)")
        self.path = path
    }

    /// Starts accepting. Each accepted peer arrives as a `.success` Connection (not yet reading);
    /// a failed accept arrives as `.failure` and the server keeps listening.
    public func listen(backlog: Int = 128, _ onConnection: @escaping (Result<Connection, UVError>) -> Void) throws(UVError) {
        try storage.requireOpen("uv_listen")
        self.onConnection = onConnection
        try uvCheck(uv_listen(storage.pointer(as: uv_stream_t.self), Int32(clamping: backlog)) { server, status in
            handleOwner(server?.pointee.data, as: PipeServer.self).didReceiveConnection(status: status)
        }, "uv_listen \(path ?? "")")
    }

    private func didReceiveConnection(status: Int32) {
        let result: Result<Connection, UVError>
        do throws(UVError) {
            try uvCheck(status, "listen \(path ?? "")")
            let connection = try Connection(loop: storage.loop)
            do throws(UVError) {
                try uvCheck(uv_accept(storage.pointer(as: uv_stream_t.self), connection.stream), "uv_accept")
            } catch {
                connection.close(nil)
                throw error
            }
            result = .success(connection)
        } catch {
            result = .failure(error)
        }
        onConnection?(result)
    }

    public var isClosing: Bool { storage.isClosing }

    public func close(_ onClosed: (() -> Void)? = nil) { storage.close(onClosed) }

    func handleDidClose() { onConnection = nil }
}
