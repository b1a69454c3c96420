import DaemonTestSupport
import Foundation
import UVCore
import XCTest

final class PipeTests: XCTestCase {
    /// A server that hands each accepted connection to `accepted`.
    private func listen(_ loop: EventLoop, path: String, _ accepted: @escaping (Connection) -> Void) throws -> PipeServer {
        let server = try PipeServer(loop: loop)
        try server.bind(path: path)
        XCTAssertEqual(server.path, path)
        try server.listen { result in
            switch result {
            case .success(let connection): accepted(connection)
            case .failure(let error): XCTFail("accept failed: \(error)")
            }
        }
        return server
    }

    private func connect(_ loop: EventLoop, path: String) throws -> Connection {
        var result: Result<Connection, UVError>?
        Connection.connect(loop: loop, path: path) { result = $0 }
        XCTAssertNil(result, "completion is never synchronous")
        XCTAssertTrue(loop.run(timeout: 5000) { result != nil })
        return try XCTUnwrap(result).get()
    }

    func testEchoKeepsBytesInOrderIncludingLargeWrites() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        _ = try listen(loop, path: path) { connection in
            try! connection.startReading { event in
                if case .data(let bytes) = event { try! connection.write(bytes) }
            }
        }
        let client = try connect(loop, path: path)
        let received = Collector()
        try received.read(client)

        // Many small writes, then one 8 MiB write: the echo must come back byte-identical.
        var expected: [UInt8] = []
        for index in 0..<1000 {
            let message = Array("message \(index)\n".utf8)
            expected += message
            try client.write(message)
        }
        let large = pattern(count: 8 << 20, seed: 7)
        expected += large
        try client.write(large)
        XCTAssertTrue(loop.run(timeout: 20_000) { received.bytes.count >= expected.count })
        XCTAssertEqual(received.bytes.count, expected.count)
        XCTAssertTrue(received.bytes == expected, "echo differs from what was sent")
        XCTAssertTrue(loop.run(timeout: 5000) { client.queuedBytes == 0 })
        XCTAssertNil(received.error)
    }

    func testQueuedBytesGrowUntilThePeerReadsThenDrainFires() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        var serverSide: Connection?
        _ = try listen(loop, path: path) { serverSide = $0 }
        let client = try connect(loop, path: path)
        XCTAssertTrue(loop.run(timeout: 5000) { serverSide != nil })

        // The server does not read: the kernel takes a socket buffer's worth, the rest queues.
        let payload = pattern(count: 8 << 20, seed: 3)
        try client.write(payload)
        let queuedAtFirst = client.queuedBytes
        XCTAssertGreaterThan(queuedAtFirst, 0)
        XCTAssertLessThan(queuedAtFirst, payload.count, "uv_try_write sent what the kernel would take")
        var drains = 0
        client.setDrainHandler(lowWater: 0) { drains += 1 }
        try client.write(Array("tail".utf8))
        XCTAssertEqual(client.queuedBytes, queuedAtFirst + 4, "with bytes queued, writes queue behind them")
        loop.run(forMilliseconds: 50)
        XCTAssertEqual(client.queuedBytes, queuedAtFirst + 4, "nothing moves while the peer doesn't read")
        XCTAssertEqual(drains, 0)

        let received = Collector()
        try received.read(try XCTUnwrap(serverSide))
        XCTAssertTrue(loop.run(timeout: 20_000) { drains > 0 && received.bytes.count == payload.count + 4 })
        XCTAssertEqual(drains, 1)
        XCTAssertEqual(client.queuedBytes, 0)
        XCTAssertTrue(received.bytes == payload + Array("tail".utf8))
    }

    func testDrainHandlerRespectsLowWater() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        var serverSide: Connection?
        _ = try listen(loop, path: path) { serverSide = $0 }
        let client = try connect(loop, path: path)
        XCTAssertTrue(loop.run(timeout: 5000) { serverSide != nil })
        let lowWater = 1 << 20
        var queuedAtDrain: Int?
        client.setDrainHandler(lowWater: lowWater) { queuedAtDrain = client.queuedBytes }
        try client.write(pattern(count: 4 << 20))
        XCTAssertGreaterThan(client.queuedBytes, lowWater)
        var total = 0
        try serverSide!.startReading { if case .data(let bytes) = $0 { total += bytes.count } }
        XCTAssertTrue(loop.run(timeout: 20_000) { total == 4 << 20 })
        let atDrain = try XCTUnwrap(queuedAtDrain)
        XCTAssertLessThanOrEqual(atDrain, lowWater)
    }

    func testWritevAndRawBufferWrites() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        let received = Collector()
        _ = try listen(loop, path: path) { try! received.read($0) }
        let client = try connect(loop, path: path)
        try client.write([[1, 2, 3], [], [4, 5]])
        try [UInt8]([6, 7]).withUnsafeBytes { try client.write($0) }
        XCTAssertTrue(loop.run(timeout: 5000) { received.bytes.count == 7 })
        XCTAssertEqual(received.bytes, [1, 2, 3, 4, 5, 6, 7])
    }

    /// A writev larger than the socket buffer: the kernel takes the small first part and some of
    /// the large second one, and the queued rest must start exactly where it stopped (a render's
    /// attachment frame is written as header + image).
    func testWritevWhoseFirstPartsTheKernelTookWhole() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        var serverSide: Connection?
        _ = try listen(loop, path: path) { serverSide = $0 }
        let client = try connect(loop, path: path)
        XCTAssertTrue(loop.run(timeout: 5000) { serverSide != nil })
        let head = Array("Content-Length: 4194304\r\n\r\n".utf8)
        let body = pattern(count: 4 << 20, seed: 11)
        try client.write([head, [], body, Array("end".utf8)])
        XCTAssertGreaterThan(client.queuedBytes, 0, "the kernel did not take it all: the rest is queued")
        XCTAssertLessThan(client.queuedBytes, body.count, "the kernel took the first part and some of the second")
        let received = Collector()
        try received.read(try XCTUnwrap(serverSide))
        XCTAssertTrue(loop.run(timeout: 20_000) { received.bytes.count >= head.count + body.count + 3 })
        XCTAssertTrue(received.bytes == head + body + Array("end".utf8), "bytes lost or repeated at the part boundary")
    }

    func testPeerCredentialsAreOurOwn() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        var serverSide: Connection?
        _ = try listen(loop, path: path) { serverSide = $0 }
        let client = try connect(loop, path: path)
        XCTAssertTrue(loop.run(timeout: 5000) { serverSide != nil })
        let expected = PeerCredentials(pid: getpid(), uid: getuid(), gid: getgid())
        XCTAssertEqual(try serverSide!.peerCredentials(), expected)
        XCTAssertEqual(try client.peerCredentials(), expected)
    }

    func testReadSeesEOFAndWritesToAGonePeerFailWithEPIPE() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        _ = try listen(loop, path: path) { $0.close() }
        let client = try connect(loop, path: path)
        let received = Collector()
        try received.read(client)
        XCTAssertTrue(loop.run(timeout: 5000) { received.sawEOF })
        XCTAssertFalse(client.isReading, "reading stops at EOF")

        // SIGPIPE is ignored by EventLoop, so this comes back as an error instead of killing us.
        var asyncError: UVError?
        client.onWriteError = { asyncError = $0 }
        var thrown: UVError?
        do {
            for _ in 0..<64 { try client.write(pattern(count: 64 << 10)) }
        } catch {
            thrown = error
        }
        XCTAssertTrue(loop.run(timeout: 5000) { thrown != nil || asyncError != nil })
        XCTAssertEqual(thrown ?? asyncError, .brokenPipe)
    }

    func testConnectFailures() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }

        var missing: Result<Connection, UVError>?
        Connection.connect(loop: loop, path: temporarySocketPath("missing")) { missing = $0 }
        XCTAssertTrue(loop.run(timeout: 5000) { missing != nil })
        XCTAssertThrowsError(try missing!.get()) { error in
            XCTAssertEqual(error as? UVError, .notFound)
            XCTAssertTrue((error as? UVError)?.operation.contains("missing") ?? false)
        }

        // A socket file that nobody listens on: bound with plain POSIX calls, never listen()ed.
        let stalePath = temporarySocketPath("stale")
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd); unlink(stalePath) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(stalePath.utf8) + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        XCTAssertEqual(bound, 0)
        var refused: Result<Connection, UVError>?
        Connection.connect(loop: loop, path: stalePath) { refused = $0 }
        XCTAssertTrue(loop.run(timeout: 5000) { refused != nil })
        XCTAssertThrowsError(try refused!.get()) { error in
            XCTAssertEqual(error as? UVError, .connectionRefused)
        }
    }

    func testOverlongSocketPathIsADomainErrorWithARemedy() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = "/tmp/" + String(repeating: "d", count: 114) + ".sock"
        XCTAssertEqual(path.utf8.count, 124)
        let server = try PipeServer(loop: loop)
        XCTAssertThrowsError(try server.bind(path: path)) { error in
            let pathError = error as? SocketPathError
            XCTAssertEqual(pathError?.code, .tooLong)
            XCTAssertEqual(SocketPathError.maximumPathBytes, 107)
            XCTAssertEqual(
                pathError?.message,
                "socket path is 124 bytes; Unix socket paths are limited to 107 — use a shorter --socket (or BLENDERD_SOCKET)")
        }
        XCTAssertNil(server.path)

        var result: Result<Connection, UVError>?
        Connection.connect(loop: loop, path: path) { result = $0 }
        XCTAssertNil(result)
        XCTAssertTrue(loop.run(timeout: 5000) { result != nil })
        XCTAssertThrowsError(try result!.get()) { error in
            XCTAssertEqual(error as? UVError, .nameTooLong)
            XCTAssertTrue((error as? UVError)?.operation.contains("limited to 107") ?? false)
        }
    }

    func testBindToAnExistingFileIsAddressInUse() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        let first = try PipeServer(loop: loop)
        try first.bind(path: path)
        let second = try PipeServer(loop: loop)
        XCTAssertThrowsError(try second.bind(path: path)) { error in
            XCTAssertEqual(error as? UVError, .addressInUse)
        }
        first.close()
        loop.run()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "libuv unlinks a bound server's path on close")
    }

    func testCloseIsIdempotentAndWritesAfterCloseThrow() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        _ = try listen(loop, path: path) { _ in }
        let client = try connect(loop, path: path)
        var closedCalls = 0
        client.close { closedCalls += 1 }
        client.close { closedCalls += 1 }
        XCTAssertTrue(client.isClosing)
        XCTAssertThrowsError(try client.write([1])) { XCTAssertEqual($0 as? UVError, .brokenPipe) }
        loop.run(forMilliseconds: 10)
        XCTAssertEqual(closedCalls, 2)
        client.close { closedCalls += 1 }  // already closed: runs at once
        XCTAssertEqual(closedCalls, 3)
        XCTAssertThrowsError(try client.peerCredentials())
    }

    func testCloseWhenFlushedDeliversQueuedBytesFirst() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let path = temporarySocketPath()
        var serverSide: Connection?
        _ = try listen(loop, path: path) { serverSide = $0 }
        let client = try connect(loop, path: path)
        XCTAssertTrue(loop.run(timeout: 5000) { serverSide != nil })
        let payload = pattern(count: 2 << 20)
        try client.write(payload)
        XCTAssertGreaterThan(client.queuedBytes, 0)
        var closed = false
        client.closeWhenFlushed { closed = true }
        XCTAssertTrue(client.isClosing)
        XCTAssertThrowsError(try client.write([1]))
        let received = Collector()
        try received.read(try XCTUnwrap(serverSide))
        XCTAssertTrue(loop.run(timeout: 10_000) { received.sawEOF && closed })
        XCTAssertTrue(received.bytes == payload)
    }

    func testOpenWrapsASocketpairEnd() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        var fds: [Int32] = [-1, -1]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds), 0)
        let left = try Connection.open(loop: loop, fd: fds[0])
        let right = try Connection.open(loop: loop, fd: fds[1])
        let received = Collector()
        try received.read(right)
        try left.write(Array("ping".utf8))
        left.close()
        XCTAssertTrue(loop.run(timeout: 5000) { received.sawEOF })
        XCTAssertEqual(received.string, "ping")
        XCTAssertEqual(try right.peerCredentials().pid, getpid())
        XCTAssertThrowsError(try Connection.open(loop: loop, fd: 987_654)) { error in
            XCTAssertEqual(error as? UVError, .badFileDescriptor)
        }
    }
}
