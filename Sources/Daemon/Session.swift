import InstancePool
import JSONRPC

/// A client's exclusive lease of one Blender instance's scene.
///
/// A session outlives the connection that opened it: when that connection closes the session is
/// detached, and another connection may take it over with `session.resume` and the token, until
/// the idle timeout closes it. If its instance dies (crash, timeout, `instance.stop`) the session
/// stays, and its next call leases a fresh instance.
final class Session {
    let id: String
    let token: String
    let requirements: Requirements
    /// Default per-call wall-clock limit for `script.exec`, milliseconds.
    let execTimeoutMilliseconds: Int
    let idleTimeoutMilliseconds: UInt64
    /// The connection that owns it; nil while detached.
    var owner: Int?
    var instance: Instance?
    /// Version of the Blender it runs (kept when the instance is replaced, for `session.list`).
    var blender: String
    var execs = 0
    /// Calls sent to its instance and not answered yet: a session is never idle while one runs.
    var callsInFlight = 0
    var lastActiveMilliseconds: UInt64
    /// Calls waiting for this session's instance (one runs at a time; the rest keep order).
    var waitingForInstance: [(Result<Instance, RPCError>) -> Void] = []

    init(
        id: String, token: String, requirements: Requirements, execTimeoutMilliseconds: Int,
        idleTimeoutMilliseconds: UInt64, owner: Int, instance: Instance, blender: String, now: UInt64
    ) {
        self.id = id
        self.token = token
        self.requirements = requirements
        self.execTimeoutMilliseconds = execTimeoutMilliseconds
        self.idleTimeoutMilliseconds = idleTimeoutMilliseconds
        self.owner = owner
        self.instance = instance
        self.blender = blender
        self.lastActiveMilliseconds = now
    }
}
