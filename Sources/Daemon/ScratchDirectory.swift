// Files the daemon exchanges with a worker through its workspace (`<workspace>/.blenderd/`):
// checkpoints the worker saved, checkpoint copies and uploaded .blend files it is about to load,
// rendered images and exports the daemon reads back to deliver them.
//
// The workspace is writable by the sandboxed script, which may have planted symlinks there (a
// `.blenderd` that points at a host directory, a `load-3.blend` that points at a host file) —
// and the daemon runs with the user's full rights. So nothing here resolves a path the sandbox
// controls: the directory is opened once with O_NOFOLLOW, every file is opened relative to that
// descriptor with O_NOFOLLOW (and O_EXCL when created), files read back must be regular files
// with one link, and removal is unlinkat (which never follows).

import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct ScratchError: Error, CustomStringConvertible {
    let description: String

    init(_ operation: String, _ path: String, errno code: Int32 = errno) {
        description = "\(operation) \(path): \(String(cString: strerror(code)))"
    }

    init(_ text: String) { description = text }
}

/// An open `.blenderd` directory inside a workspace (or inside a session directory for an
/// unsandboxed worker). Close it when done.
final class ScratchDirectory {
    /// The path the worker uses for the files (the same inside bubblewrap as outside).
    let path: String
    private var fd: Int32

    /// Opens (creating if needed) `<base>/.blenderd` without following links; a link or file
    /// planted in its place is removed first.
    init(base: String) throws(ScratchError) {
        path = base + "/.blenderd"
        let baseFD = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard baseFD >= 0 else { throw ScratchError("open", base) }
        defer { Glibc.close(baseFD) }
        var opened = Self.openDirectory(baseFD)
        if opened < 0 {
            // A symlink or a file where the directory should be: take it away (unlinkat does not
            // follow), then make the real directory.
            _ = unlinkat(baseFD, ".blenderd", 0)
            opened = Self.openDirectory(baseFD)
        }
        guard opened >= 0 else { throw ScratchError("open", path) }
        fd = opened
    }

    private static func openDirectory(_ baseFD: Int32, _ name: String = ".blenderd") -> Int32 {
        if mkdirat(baseFD, name, 0o700) != 0 && errno != EEXIST { return -1 }
        return openat(baseFD, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    /// Opens (creating if needed) the directory `name` in this one, relative to its descriptor and
    /// without following links, like `.blenderd` itself: renders write into `render-<n>/`.
    func subdirectory(_ name: String) throws(ScratchError) -> ScratchDirectory {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { throw ScratchError("bad directory name \(name)") }
        var opened = Self.openDirectory(fd, name)
        if opened < 0 {
            _ = unlinkat(fd, name, 0)
            opened = Self.openDirectory(fd, name)
        }
        guard opened >= 0 else { throw ScratchError("open", file(name)) }
        return ScratchDirectory(path: file(name), fd: opened)
    }

    /// Removes the directory `name` here and the plain entries in it (a render's output
    /// directory); links are unlinked, never followed. Subdirectories a script made are left.
    func removeDirectory(_ name: String) {
        let inner = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if inner >= 0, let stream = fdopendir(inner) {
            while let entry = readdir(stream) {
                let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if entryName != "." && entryName != ".." { _ = unlinkat(inner, entryName, 0) }
            }
            closedir(stream)  // closes `inner`
        } else if inner >= 0 {
            Glibc.close(inner)
        }
        _ = unlinkat(fd, name, AT_REMOVEDIR)
    }

    /// The bytes of the file `name` the worker wrote here, read through a descriptor opened
    /// without following links: a regular file with one link only (not a link or a hard link to
    /// a host file planted by a script), at most `maxBytes` long.
    func read(_ name: String, maxBytes: Int) throws(ScratchError) -> [UInt8] {
        let input = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw ScratchError("open", file(name)) }
        defer { Glibc.close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw ScratchError("stat", file(name)) }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink == 1 else {
            throw ScratchError("\(file(name)) is not a plain file the worker wrote (a link or special file); refused")
        }
        let size = Int(info.st_size)
        guard size <= maxBytes else {
            throw ScratchError("\(file(name)) is \(size) bytes, over the \(maxBytes)-byte limit for delivering it through the socket; ask for delivery \"path\"")
        }
        // One allocation of the announced size, not zero-filled first; a file that grows
        // meanwhile is cut at it (and one that shrinks is caught below), so the bytes sent
        // always match `bytes`.
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            guard let base = buffer.baseAddress else { return }  // an empty file
            var offset = 0
            while offset < size {
                let count = Glibc.read(input, base + offset, size - offset)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { failure = count < 0 ? errno : EIO; break }
                offset += count
            }
            initialized = offset
        }
        if failure != 0 { throw ScratchError("read", file(name), errno: failure) }
        return bytes
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Removes `name` if it is there (a file or a link; never what a link points at).
    func remove(_ name: String) {
        _ = unlinkat(fd, name, 0)
    }

    /// Writes a new file `name` holding `bytes` (whatever was at that name is removed first).
    func write(_ name: String, _ bytes: Data) throws(ScratchError) {
        remove(name)
        let out = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw ScratchError("create", file(name)) }
        defer { Glibc.close(out) }
        try Self.writeAll(out, bytes, name: file(name))
    }

    /// Copies the host file at `source` (a daemon-owned path) into a new file `name` here.
    func copy(from source: String, to name: String) throws(ScratchError) {
        let input = open(source, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw ScratchError("open", source) }
        defer { Glibc.close(input) }
        remove(name)
        let out = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw ScratchError("create", file(name)) }
        defer { Glibc.close(out) }
        try Self.pump(from: input, to: out, what: source)
    }

    /// Moves the file `name` the worker wrote here to `destination` (a new file in a daemon-owned
    /// directory) by copying its bytes, then removes it. Refuses anything but a regular file with
    /// a single link: a link to a host file would otherwise be read with the daemon's rights.
    func moveOut(_ name: String, to destination: String) throws(ScratchError) {
        let input = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard input >= 0 else { throw ScratchError("open", file(name)) }
        defer {
            Glibc.close(input)
            remove(name)
        }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw ScratchError("stat", file(name)) }
        guard (info.st_mode & S_IFMT) == S_IFREG, info.st_nlink == 1 else {
            throw ScratchError("\(file(name)) is not a plain file the worker wrote (a link or special file); refused")
        }
        let out = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw ScratchError("create", destination) }
        defer { Glibc.close(out) }
        do { try Self.pump(from: input, to: out, what: file(name)) } catch {
            _ = unlink(destination)
            throw error
        }
    }

    private static func pump(from input: Int32, to output: Int32, what: String) throws(ScratchError) {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = Glibc.read(input, &buffer, buffer.count)
            if count == 0 { return }
            guard count > 0 else { throw ScratchError("read", what) }
            try writeAll(output, Data(buffer[..<count]), name: what)
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: Data, name: String) throws(ScratchError) {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, base + offset, raw.count - offset)
                if written <= 0 { failure = errno; return }
                offset += written
            }
        }
        if failure != 0 { throw ScratchError("write", name, errno: failure) }
    }
}
