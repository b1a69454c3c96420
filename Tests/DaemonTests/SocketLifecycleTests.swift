import BlenderdClient
import Daemon
import DaemonTestSupport
import Foundation
import JSONRPC
import Logging
import Testing

@Suite("socket path, permissions, stale and live sockets, shutdown")
struct SocketLifecycleTests {
    @Test func createsPrivateDirectoryAndSocket() throws {
        let base = try TemporaryDirectory.make(prefix: "bd-perm")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let daemon = try TestDaemon(configure: { $0.socketPath = base + "/blenderd/blenderd.sock" })
        defer { daemon.stop() }
        let directoryMode = try FileManager.default.attributesOfItem(atPath: base + "/blenderd")[.posixPermissions] as? Int
        let socketMode = try FileManager.default.attributesOfItem(atPath: base + "/blenderd/blenderd.sock")[.posixPermissions] as? Int
        #expect(directoryMode == 0o700)
        #expect(socketMode == 0o600)
        var st = stat()
        #expect(stat(base + "/blenderd/blenderd.sock", &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK)
    }

    @Test func refusesToStartOnALiveSocket() throws {
        let first = try TestDaemon()
        defer { first.stop() }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let second = Daemon(configuration: DaemonConfiguration(socketPath: first.socketPath), logger: logger)
        do {
            try second.run()
            Issue.record("a second daemon must refuse a live socket")
        } catch {
            #expect(error.code == .alreadyRunning)
            #expect(error.remedy.contains("--socket"))
        }
        // The first daemon is untouched and still serving.
        let client = try BlenderdClient(path: first.socketPath)
        #expect(try client.call("daemon.ping")["pong"] == .bool(true))
    }

    @Test func replacesAStaleSocket() throws {
        let base = try TemporaryDirectory.make(prefix: "bd-stale")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/blenderd.sock"
        try makeStaleSocket(at: path)
        var st = stat()
        #expect(stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK)
        let daemon = try TestDaemon(configure: { $0.socketPath = path })
        defer { daemon.stop() }
        let client = try BlenderdClient(path: path)
        #expect(try client.call("daemon.ping")["pong"] == .bool(true))
    }

    @Test func refusesToDeleteARegularFile() throws {
        let base = try TemporaryDirectory.make(prefix: "bd-file")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let path = base + "/blenderd.sock"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("keep me".utf8)))
        #expect(throws: (any Error).self) { try TestDaemon(configure: { $0.socketPath = path }) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
    }

    @Test func shutdownRemovesTheSocket() throws {
        let daemon = try TestDaemon()
        let path = daemon.socketPath
        let client = try BlenderdClient(path: path)
        #expect(try client.call("daemon.ping")["pong"] == .bool(true))
        daemon.daemon.requestShutdown()
        // The open connection is closed by the daemon during shutdown, not left hanging.
        #expect(throws: ClientError.self) { _ = try client.nextMessage() }
        daemon.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func otherUsersAreRefusedWithUnauthorized() throws {
        // We cannot connect as another uid without a second account, so the daemon is told to
        // accept only a uid that is not ours: the refusal path is the one another user meets.
        let daemon = try TestDaemon(configure: { $0.allowedPeerUIDs = [UInt32(getuid()) &+ 4242] })
        defer { daemon.stop() }
        let client = try BlenderdClient(path: daemon.socketPath, timeout: 5)
        let body = try client.nextMessage()
        let reply = try JSON.parse(body, maxDepth: 16)
        #expect(reply["error"]?["code"] == .number(JSONNumber(-32020)))
        #expect(reply["id"] == .null)
        #expect(throws: ClientError.self) { _ = try client.nextMessage() }
    }

    /// Binds a Unix socket and closes it without unlinking: what a crashed daemon leaves behind.
    private func makeStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8)
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(rc == 0)
    }
}
