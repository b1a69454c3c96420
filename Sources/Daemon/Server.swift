import JSONRPC
import Logging
import UVCore

/// Accepts clients on the daemon socket, checks who they are, and keeps the set of live
/// connections (for `daemon.info`, shutdown, and — later — routing events to subscribers).
final class Server {
    private let loop: EventLoop
    private let listener: PipeServer
    private let configuration: DaemonConfiguration
    private let table: MethodTable
    private let logger: Logger
    private var nextConnectionID = 1
    private(set) var connections: [Int: ClientConnection] = [:]
    private(set) var accepting = true
    /// Called whenever a connection closes (shutdown waits for the last one).
    var onConnectionClosed: (() -> Void)?
    /// Called with each connection that closed, before `onConnectionClosed` (sessions detach).
    var onClientClosed: ((ClientConnection) -> Void)?

    var connectionCount: Int { connections.count }

    init(loop: EventLoop, listener: PipeServer, configuration: DaemonConfiguration, table: MethodTable, logger: Logger) {
        self.loop = loop
        self.listener = listener
        self.configuration = configuration
        self.table = table
        self.logger = logger
    }

    func listen() throws(DaemonError) {
        do {
            try listener.listen(backlog: 511) { [unowned self] result in self.accept(result) }
        } catch {
            throw DaemonError(.listen, "cannot listen on \(configuration.socketPath)", remedy: "check the socket path", cause: error)
        }
    }

    private func accept(_ result: Result<Connection, UVError>) {
        let stream: Connection
        switch result {
        case .success(let accepted): stream = accepted
        case .failure(let error):
            // EMFILE and friends: log and keep serving the clients we have.
            logger.warning("accept failed", metadata: ["error": "\(error)"])
            return
        }
        guard accepting else {
            stream.close(nil)
            return
        }
        let peer = try? stream.peerCredentials()
        guard let peer, configuration.allowedPeerUIDs.contains(peer.uid) else {
            refuse(stream, peer: peer)
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = ClientConnection(
            id: id, loop: loop, stream: stream, peer: peer, configuration: configuration,
            dispatcher: table.dispatcher, logger: logger
        ) { [unowned self] closed in
            self.connections[closed.id] = nil
            self.onClientClosed?(closed)
            self.onConnectionClosed?()
        }
        connections[id] = connection
        connection.start()
    }

    /// A peer of another uid gets one `-32020` line (we do not know its framing yet; NDJSON is
    /// what a human with socat sees) and is closed once the line is written.
    private func refuse(_ stream: Connection, peer: PeerCredentials?) {
        let who = peer.map { "uid \($0.uid) pid \($0.pid)" } ?? "unknown peer"
        logger.warning("refused connection from another user", metadata: ["peer": "\(who)"])
        let error = RPCError(code: .unauthorized, data: ["reason": "peer_uid"])
        let frame = FrameEncoder.message(Response(id: .null, error: error).encoded(), framing: .newlineDelimited)
        try? stream.write(frame)
        stream.closeWhenFlushed(nil)
    }

    /// Stops accepting new clients; existing ones keep being served.
    func stopAccepting() {
        guard accepting else { return }
        accepting = false
        listener.close(nil)
    }
}
