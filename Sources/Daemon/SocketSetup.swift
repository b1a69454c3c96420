import Logging
import UVCore

#if canImport(Glibc)
import Glibc
#endif

/// Puts the listening socket in place the way ARCHITECTURE.md fixes it: the directory private to
/// our user (0700), the socket 0600, a live daemon on the path refused, a stale file replaced.
struct SocketSetup {
    let path: String
    let logger: Logger

    /// Creates the socket's directory 0700 when missing. An existing directory must be a real
    /// directory (not a symlink) owned by us with no group or other permissions: a socket in a
    /// directory others can write to could be swapped for theirs (protocol/README.md, Transport).
    func prepareDirectory() throws(DaemonError) {
        let directory = Self.directory(of: path)
        do {
            var st = stat()
            if lstat(directory, &st) == 0 {
                guard isDirectory(st) else {
                    throw DaemonError(
                        .socketDirectory, "\(directory) is not a directory (or is a symlink)",
                        remedy: "remove it, or choose a --socket path in a private directory")
                }
                guard st.st_uid == geteuid(), st.st_mode & 0o077 == 0 else {
                    let mode = String(st.st_mode & 0o777, radix: 8)
                    throw DaemonError(
                        .socketDirectory,
                        "socket directory \(directory) is mode \(mode) owned by uid \(st.st_uid); it must be 0700 and ours",
                        remedy: "run `chmod 700 \(directory)` if it is yours, or choose a --socket path in a private directory (e.g. under $XDG_RUNTIME_DIR)")
                }
                return
            }
            guard errno == ENOENT else { throw SystemCallError(errno: errno, operation: "lstat \(directory)") }
            try makeDirectories(directory)
        } catch let error as DaemonError {
            throw error
        } catch {
            throw DaemonError(
                .socketDirectory, "cannot prepare socket directory \(directory)",
                remedy: "check the parent directory exists and is writable, or pass --socket", cause: error)
        }
    }

    /// Decides what to do with whatever is at `path` already: nothing there → fine; a socket a
    /// daemon answers on → refuse to start; a socket nobody answers on → stale, removed;
    /// anything else → refuse (we never delete a file we did not create).
    func clearStaleSocket(loop: EventLoop) throws(DaemonError) {
        let existing: stat?
        do { existing = try fileStatus(path) } catch {
            throw DaemonError(.socketPath, "cannot inspect \(path)", remedy: "check permissions", cause: error)
        }
        guard let existing else { return }
        guard isSocket(existing) else {
            throw DaemonError(
                .socketPath, "\(path) exists and is not a socket",
                remedy: "remove it yourself if it is not needed, or choose another --socket path")
        }
        if Self.someoneListens(on: path, loop: loop) {
            throw DaemonError.alreadyRunning(path)
        }
        logger.notice("replacing stale socket", metadata: ["path": "\(path)"])
        do { try sysCheck(unlink(path), "unlink stale socket \(path)") } catch {
            throw DaemonError(.socketPath, "cannot remove stale socket \(path)", remedy: "remove it by hand", cause: error)
        }
    }

    /// Binds, then makes the socket 0600. No umask trick: the umask is process-wide, and changing
    /// it races with every other thread creating files (tests run many daemons in one process; a
    /// directory made under umask 0177 has no search bit). The directory is already verified 0700
    /// and ours, so nobody else can reach the socket in the instant before the chmod.
    func bind(_ server: PipeServer) throws(DaemonError) -> ino_t {
        do {
            try server.bind(path: path)
            try sysCheck(chmod(path, 0o600), "chmod 0600 \(path)")
            guard let st = try fileStatus(path) else {
                throw SystemCallError(errno: ENOENT, operation: "stat \(path) after bind")
            }
            return st.st_ino
        } catch {
            throw DaemonError(
                .listen, "cannot bind \(path)",
                remedy: "check the directory is writable and the path shorter than 108 bytes", cause: error)
        }
    }

    /// Removes the socket at shutdown, but only if it is still the one we bound: a successor
    /// daemon that replaced our (by then stale-looking) file must keep its socket.
    func remove(ifInode inode: ino_t) {
        guard let st = try? fileStatus(path), isSocket(st), st.st_ino == inode else { return }
        if unlink(path) != 0 {
            logger.warning("could not remove socket", metadata: ["path": "\(path)", "errno": "\(errno)"])
        }
    }

    /// A blocking connect probe run on the (not yet serving) loop.
    static func someoneListens(on path: String, loop: EventLoop) -> Bool {
        var outcome: Bool?
        Connection.connect(loop: loop, path: path) { result in
            switch result {
            case .success(let connection):
                outcome = true
                connection.close(nil)
            case .failure:
                outcome = false
            }
        }
        while outcome == nil { _ = loop.runOnce() }
        // Let the probe connection's close callback run before the loop is used for real.
        _ = loop.runNoWait()
        return outcome ?? false
    }

    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let dir = String(path[..<slash])
        return dir.isEmpty ? "/" : dir
    }

    private func makeDirectories(_ directory: String) throws(SystemCallError) {
        let parent = Self.directory(of: directory)
        if parent != directory, try fileStatus(parent) == nil {
            try makeDirectories(parent)
        }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw SystemCallError(errno: errno, operation: "mkdir \(directory)")
        }
        // mkdir's mode is filtered by the umask; make sure it is exactly 0700.
        try sysCheck(chmod(directory, 0o700), "chmod 0700 \(directory)")
    }
}
