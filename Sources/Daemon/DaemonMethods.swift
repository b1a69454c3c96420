import BlenderdProtocol
import JSONRPC
import UVCore

#if canImport(Glibc)
import Glibc
#endif

/// `daemon.*`: answered by the daemon alone, never queued behind Blender work.
extension Daemon {
    func registerDaemonMethods(_ table: MethodTable) {
        table.register(DaemonPing.self) { _, _, reply in
            reply(.success(DaemonPing.Result(pong: true)))
        }
        table.register(DaemonInfo.self) { [unowned self] _, _, reply in
            reply(.success(self.info(methods: table.methods)))
        }
    }

    func info(methods: [String]) -> DaemonInfo.Result {
        let uptimeNanoseconds = EventLoop.hrtimeNanoseconds() - startedAtNanoseconds
        return DaemonInfo.Result(
            version: BlenderdVersion.daemon,
            protocolVersion: BlenderdVersion.protocolVersion,
            capabilities: .init(
                framings: ["ndjson", "header"], attachments: true,
                maxFrameBytes: configuration.limits.maxFrameBytes, methods: methods.sorted()),
            uptimeS: Double(uptimeNanoseconds) / 1e9,
            connections: server?.connectionCount ?? 0,
            pid: Int(getpid()),
            instances: pool?.instances.filter { $0.state != .dead }.count ?? 0,
            sessions: sessions?.count ?? 0,
            sandbox: sandboxReport, stateDir: state?.root)
    }
}
