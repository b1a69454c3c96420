import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The secret a GUI Blender presents with `worker.attach` (protocol/worker.md): a file
/// `attach.token`, mode 0600, in the daemon's 0700 socket directory, replaced at every start —
/// so only the daemon's own user can attach a Blender, and a token from a previous run is void.
struct AttachToken {
    let path: String
    let value: String

    static func create(besides socketPath: String) throws(SystemCallError) -> AttachToken {
        let path = SocketSetup.directory(of: socketPath) + "/attach.token"
        let value = SessionTable.randomID(prefix: "")
        // Write a fresh file and rename it over the old one, so a reader never sees half a token.
        let temporary = path + ".tmp"
        unlink(temporary)
        let fd = try sysCheck(open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600), "create \(temporary)")
        defer { close(fd) }
        let bytes = Array((value + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw SystemCallError(errno: errno, operation: "write \(temporary)") }
        try sysCheck(rename(temporary, path), "rename \(temporary) to \(path)")
        return AttachToken(path: path, value: value)
    }

    func remove() { unlink(path) }

    func matches(_ presented: String) -> Bool {
        SessionTable.constantTimeEqual(value, presented.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
