import BlenderdProtocol
import JSONRPC

/// `render.views` and `scene.export`: files the worker writes, streamed or delivered to the
/// client (SessionTable+Render.swift, SessionTable+Export.swift, FileDelivery.swift).
extension Daemon {
    func registerRenderMethods(_ table: MethodTable, sessions: SessionTable) {
        table.register(RenderViews.self, withRequestID: { params, requestID, connection, reply in
            sessions.render(params, on: connection, request: requestID, reply)
        })
        table.registerForwarding(SceneExport.self, { params, requestID, connection, reply in
            sessions.export(params, on: connection, request: requestID, reply)
        })
    }
}
