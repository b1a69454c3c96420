// Who is on the other end of a Unix socket, as the kernel recorded it at connect/socketpair time
// (SO_PEERCRED). The daemon compares `uid` with its own before serving a client.

public struct PeerCredentials: Hashable, Sendable, CustomStringConvertible {
    public let pid: Int32
    public let uid: UInt32
    public let gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "pid \(pid) uid \(uid) gid \(gid)" }
}
