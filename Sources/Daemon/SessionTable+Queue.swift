import BlenderdProtocol
import InstancePool
import JSONRPC
import UVCore

#if canImport(Glibc)
import Glibc
#endif

/// One thing a session does on its instance: a call plus whatever must follow it before the next
/// one starts (the automatic checkpoint after a script.exec, the restore after a crash).
struct SessionOperation {
    /// Who asked, for request.cancel (ids are per connection).
    let connection: Int
    let request: RequestID?
    let start: (_ done: @escaping () -> Void) -> Void
    /// Answers the request without running it (cancelled while queued, session ended).
    let fail: (RPCError) -> Void
}

/// Each session runs one operation at a time, in arrival order: a checkpoint must capture the
/// scene its script left, not the next script's. request.cancel removes a queued operation, or
/// escalates against the running one: SIGINT (the worker turns it into KeyboardInterrupt and
/// answers -32006), SIGTERM after the grace period, SIGKILL after as long again; the session
/// then gets a fresh instance with its current checkpoint (SessionTable.run).
extension SessionTable {
    func enqueue<T>(_ session: Session, connection: Int, request: RequestID?,
                    reply: @escaping (Result<T, RPCError>) -> Void,
                    _ body: @escaping (_ done: @escaping () -> Void) -> Void) {
        session.operations.append(SessionOperation(connection: connection, request: request, start: body,
                                                   fail: { reply(.failure($0)) }))
        pumpOperations(session)
    }

    /// Starts the next operation once a recovery that outlived its error reply has finished.
    func resumeOperations(_ session: Session) {
        pumpOperations(session)
    }

    private func pumpOperations(_ session: Session) {
        guard !session.operationRunning, !session.recoveryInFlight, sessions[session.id] === session,
              !session.operations.isEmpty else { return }
        let operation = session.operations.removeFirst()
        session.operationRunning = true
        session.running = operation.request.map { (operation.connection, $0) }
        var finished = false
        operation.start { [unowned self] in
            guard !finished else { return }
            finished = true
            session.operationRunning = false
            session.running = nil
            // A cancel that arrived too late must not fall on the next operation.
            session.cancelRequested = false
            session.phase = .idle
            stopCancelEscalation(session)
            pumpOperations(session)
        }
    }

    /// The session ended: its queued operations are answered with `error`.
    func failQueued(_ session: Session, with error: RPCError) {
        let queued = session.operations
        session.operations = []
        for operation in queued { operation.fail(error) }
        stopCancelEscalation(session)
    }

    // MARK: request.cancel

    func cancel(_ request: RequestID, on connection: ClientConnection) -> Result<RequestCancel.Result, RPCError> {
        for session in sessions.values {
            if let index = session.operations.firstIndex(where: { $0.connection == connection.id && $0.request == request }) {
                let operation = session.operations.remove(at: index)
                operation.fail(RPCError(code: .cancelled, data: [
                    "reason": "request.cancel", "stage": "queued", "session": .string(session.id),
                ]))
                return .success(RequestCancel.Result(cancelled: true, stage: "queued"))
            }
            if let running = session.running, running.connection == connection.id, running.request == request {
                if let stage = cancelRender(session) { return .success(RequestCancel.Result(cancelled: true, stage: stage)) }
                switch session.phase {
                case .idle, .finishing:
                    // The call itself is over; what is left (saving or loading a checkpoint) runs to the end.
                    return .success(RequestCancel.Result(cancelled: false, stage: "completing"))
                case .leasing:
                    // It will not start the call.
                    session.cancelRequested = true
                    return .success(RequestCancel.Result(cancelled: true, stage: "pending"))
                case .calling:
                    break
                }
                guard let instance = session.instance else {
                    session.cancelRequested = true
                    return .success(RequestCancel.Result(cancelled: true, stage: "pending"))
                }
                guard !session.cancelRequested else {
                    return .success(RequestCancel.Result(cancelled: true, stage: "interrupt"))
                }
                session.cancelRequested = true
                logger.info("request.cancel: interrupting the script", metadata: ["session": "\(session.id)", "instance": "\(instance.id)"])
                instance.signalWorker(SIGINT)
                startCancelEscalation(session, instance: instance)
                return .success(RequestCancel.Result(cancelled: true, stage: "interrupt"))
            }
        }
        return .failure(.invalidParams(path: "params.id",
            reason: "no request with this id is queued or running on a session of this connection (only session calls can be cancelled)"))
    }

    /// `firstAfter`: how long SIGINT gets before SIGTERM (default the grace period); a render
    /// that stops between views gets longer when its current view is about to finish.
    func startCancelEscalation(_ session: Session, instance: Instance, firstAfter: Int? = nil) {
        stopCancelEscalation(session)
        guard let timer = try? UVCore.Timer(loop: loop) else {
            instance.kill(reason: "request.cancel (no timer for the grace period)")
            return
        }
        session.cancelTimer = timer
        var stage = 0
        try? timer.start(after: firstAfter ?? cancelGraceMilliseconds, repeat: cancelGraceMilliseconds) { [weak self, weak instance] in
            guard let self, let instance, session.cancelRequested, instance.state != .dead else {
                self?.stopCancelEscalation(session)
                return
            }
            stage += 1
            if stage == 1 {
                self.logger.warning("request.cancel: the script ignored SIGINT; SIGTERM", metadata: ["session": "\(session.id)"])
                instance.signalWorker(SIGTERM)
            } else {
                self.logger.warning("request.cancel: the worker ignored SIGTERM; SIGKILL", metadata: ["session": "\(session.id)"])
                instance.kill(reason: "request.cancel: the script did not stop")
                self.stopCancelEscalation(session)
            }
        }
    }

    func stopCancelEscalation(_ session: Session) {
        session.cancelTimer?.close(nil)
        session.cancelTimer = nil
    }
}
