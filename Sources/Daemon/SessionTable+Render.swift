import BlenderdProtocol
import InstancePool
import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// `render.views` on a session: validated up front, then run in the session's operation queue
/// like script.exec, as a RenderJob (RenderJob.swift). A render is cancelled by request.cancel
/// and by its client disconnecting: the worker stops on SIGINT mid-view where its Blender allows
/// (bpy 4.4), else after the view it is on (Blender 3.4); SIGTERM waits for a view about to
/// finish (RenderJob.viewRemainderMilliseconds), and the SIGTERM → SIGKILL escalation bounds it.
extension SessionTable {
    func render(_ params: RenderViews.Params, on connection: ClientConnection, request: RequestID?,
                _ reply: @escaping (Result<RenderViews.Result, RPCError>) -> Void) {
        let plan: RenderPlan
        switch RenderPlan.make(params, framing: connection.framing) {
        case .success(let made): plan = made
        case .failure(let error): return reply(.failure(error))
        }
        let session: Session
        switch owned(params.session, by: connection) {
        case .failure(let error): return reply(.failure(error))
        case .success(let found): session = found
        }
        session.lastActiveMilliseconds = loop.nowMilliseconds
        enqueue(session, connection: connection.id, request: request, reply: reply) { [unowned self] done in
            guard !connection.isClosed else {
                // Its client left while it waited its turn: nobody would see the images.
                reply(.failure(RPCError(code: .cancelled, data: ["reason": "request.cancel", "stage": "queued", "session": .string(session.id)])))
                return done()
            }
            let job = RenderJob(table: self, session: session, connection: connection, request: request, plan: plan,
                                reply: { result in
                                    session.lastActiveMilliseconds = self.loop.nowMilliseconds
                                    reply(result)
                                }, done: done)
            session.render = job
            job.start()
        }
    }

    /// request.cancel (or a disconnect) for the session's running render: the stage to report,
    /// or nil when the session runs no render. Rendering on the session's instance is
    /// interrupted as a script is (SIGINT, escalating); its call then ends the job with -32006
    /// and the usual recovery.
    func cancelRender(_ session: Session) -> String? {
        guard let job = session.render, !job.finished else { return nil }
        if job.cancel() { return "interrupt" }
        guard session.phase == .calling, let instance = session.instance else {
            session.cancelRequested = true
            return "pending"
        }
        guard !session.cancelRequested else { return "interrupt" }
        session.cancelRequested = true
        logger.info("cancelling render.views: interrupting the worker", metadata: ["session": "\(session.id)", "instance": "\(instance.id)"])
        instance.signalWorker(SIGINT)
        startCancelEscalation(session, instance: instance, firstAfter: cancelGraceMilliseconds + job.viewRemainderMilliseconds())
        return "interrupt"
    }

    /// The connection closed: renders it asked for stop (their images would go nowhere).
    func cancelRenders(of connection: ClientConnection) {
        for session in sessions.values where session.render?.connection === connection {
            logger.notice("the client disconnected during render.views: cancelling it", metadata: ["session": "\(session.id)"])
            _ = cancelRender(session)
        }
    }
}
