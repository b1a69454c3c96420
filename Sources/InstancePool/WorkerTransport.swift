// How JSON-RPC bodies travel between the pool and one worker. Two shapes:
//
// - Spawned workers: our end of the socketpair that is the worker's fd 3
//   (`ControlChannelTransport`), owned by the instance, with its own header-framing parser.
// - Attached GUI workers: they speak over their connection to the daemon's socket, which the
//   daemon owns. The daemon gives the instance a `send` closure (`ClosureTransport`) and hands
//   the worker's messages to `Instance.receive(_:)`; it calls `Instance.transportDidClose` when
//   the GUI goes away.

import JSONRPC
import UVCore

public protocol WorkerTransport: AnyObject {
    /// Sends one JSON-RPC message body; the transport frames it. Never throws: a transport that
    /// cannot deliver reports it as a close.
    func send(_ frameBody: [UInt8])
    /// Closes the channel. Idempotent.
    func close()
}

/// A transport built from closures (attached GUI workers; tests).
public final class ClosureTransport: WorkerTransport {
    private let sendBody: ([UInt8]) -> Void
    private var closeChannel: (() -> Void)?

    public init(send: @escaping ([UInt8]) -> Void, close: @escaping () -> Void) {
        sendBody = send
        closeChannel = close
    }

    public func send(_ frameBody: [UInt8]) { sendBody(frameBody) }

    public func close() {
        let closeChannel = self.closeChannel
        self.closeChannel = nil
        closeChannel?()
    }
}

/// What arrives on a spawned worker's control channel.
enum ControlChannelEvent {
    case message(Message)
    /// A response, its result kept as JSON text (validated, not parsed).
    case response(RawResponse)
    /// The worker broke the protocol (bad framing, invalid JSON, a batch): it cannot be trusted
    /// to stay in step, so the instance is killed.
    case violation(String)
    /// EOF or a read/write error: the worker closed its end (normally because it is exiting).
    case closed(String?)
}

/// Header framing over the socketpair end `Process.control`.
final class ControlChannelTransport: WorkerTransport {
    private let connection: Connection
    private var parser: FrameParser
    private let maxDepth: Int
    private var onEvent: ((ControlChannelEvent) -> Void)?

    init(connection: Connection, limits: FrameLimits, onEvent: @escaping (ControlChannelEvent) -> Void) throws(UVError) {
        self.connection = connection
        parser = FrameParser(limits: limits, framing: .header)
        maxDepth = limits.maxDepth
        self.onEvent = onEvent
        connection.onWriteError = { [weak self] error in self?.report(.closed("write failed: \(error)")) }
        try connection.startReading { [weak self] event in self?.didRead(event) }
    }

    func send(_ frameBody: [UInt8]) {
        guard !connection.isClosing else { return }
        do {
            try connection.write([FrameEncoder.header(contentLength: frameBody.count), frameBody])
        } catch {
            report(.closed("write failed: \(error)"))
        }
    }

    func close() {
        onEvent = nil
        connection.close(nil)
    }

    private func report(_ event: ControlChannelEvent) {
        guard let onEvent else { return }
        switch event {
        case .message, .response: break
        case .violation, .closed: self.onEvent = nil  // final
        }
        onEvent(event)
    }

    private func didRead(_ event: ReadEvent) {
        switch event {
        case .data(let bytes):
            for frame in parser.feed(bytes) {
                guard onEvent != nil else { return }
                handle(frame)
            }
        case .eof:
            report(.closed(parser.bufferedByteCount > 0 ? "EOF inside a frame" : nil))
        case .error(let error):
            report(.closed("read failed: \(error)"))
        }
    }

    private func handle(_ frame: FrameEvent) {
        switch frame {
        case .message(let body):
            // The usual frame: the response to our call. Its result is validated but kept as
            // bytes; anything else (worker.ready, an invalid message) takes the full parse, which
            // also explains what is wrong.
            if let response = Message.parseResponse(body: body, maxDepth: maxDepth) {
                report(.response(response))
                return
            }
            do {
                switch try Message.parse(body: body, maxDepth: maxDepth) {
                case .single(.success(let message)):
                    report(.message(message))
                case .single(.failure(let invalid)):
                    report(.violation("invalid message: \(invalid.error)"))
                case .batch:
                    report(.violation("a batch, which the worker channel forbids"))
                }
            } catch {
                report(.violation("unparsable JSON: \(error.error)"))
            }
        case .attachment(let contentType, let bytes):
            // Protocol 1 has no worker attachments (they are reserved for renders).
            report(.violation("unexpected \(bytes.count)-byte attachment (\(contentType))"))
        case .oversized(let declared, let limit):
            report(.violation("frame of \(declared.map(String.init) ?? "?") bytes exceeds the \(limit)-byte limit"))
        case .fatal(let error):
            report(.violation("framing: \(error)"))
        }
    }
}
