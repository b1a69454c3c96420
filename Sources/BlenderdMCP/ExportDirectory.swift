import Foundation
import JSONRPC

/// An export that arrived but could not be written out.
struct ExportFailure: Error, CustomStringConvertible {
    let description: String
}

/// Where export_scene puts files: the user's `--out-dir`, else a directory of its own under the
/// system's temporary directory, made on the first export and left in place (the files are the
/// user's). Each export gets a subdirectory `<session>-<n>`, so a glTF's `.bin` or an OBJ's
/// `.mtl` keeps the name its main file refers to.
///
/// Exports come inline (base64 in the daemon's reply), not as paths in the daemon's state
/// directory: that works when the daemon's socket is forwarded from another machine, and the
/// daemon deletes a session's files when the session ends.
final class ExportDirectory: @unchecked Sendable {
    struct File {
        var path: String
        var url: String
        var bytes: Int
        var mime: String
        var data: Data
    }

    private let configured: String?
    private let lock = NSLock()
    private var root: String?
    private var count = 0

    init(configured: String?) {
        self.configured = configured
    }

    /// Writes the main file and the further ones of a `scene.export` result.
    func write(_ result: JSONValue, session: String) throws(ExportFailure) -> (main: File, others: [File]) {
        let directory = try nextDirectory(session: session)
        guard let name = result["name"]?.stringValue else {
            throw ExportFailure(description: "the daemon's export result has no file name: \(JSON.string(result).prefix(300))")
        }
        let main = try write(name: name, attachment: result["attachment"], into: directory)
        var others: [File] = []
        for file in result["files"]?.arrayValue ?? [] {
            guard let other = file["name"]?.stringValue else { continue }
            others.append(try write(name: other, attachment: file["attachment"], into: directory))
        }
        return (main, others)
    }

    private func write(name: String, attachment: JSONValue?, into directory: String) throws(ExportFailure) -> File {
        // The name is the worker's; keep only a plain file name so it cannot point elsewhere.
        let safe = (name as NSString).lastPathComponent
        guard !safe.isEmpty, safe != ".", safe != ".." else {
            throw ExportFailure(description: "the export has an unusable file name \(name)")
        }
        guard let base64 = attachment?["base64"]?.stringValue, let data = Data(base64Encoded: base64) else {
            throw ExportFailure(description: "the export of \(safe) came without its bytes (expected inline base64)")
        }
        let path = directory + "/" + safe
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
        } catch {
            throw ExportFailure(description: "cannot write \(path): \(error.localizedDescription). "
                + "Pass a writable directory to `blenderctl mcp --out-dir`.")
        }
        return File(path: path, url: URL(fileURLWithPath: path).absoluteString, bytes: data.count,
                    mime: attachment?["mime"]?.stringValue ?? "application/octet-stream", data: data)
    }

    private func nextDirectory(session: String) throws(ExportFailure) -> String {
        let (root, number): (String?, Int) = lock.withLock {
            count += 1
            return (self.root, count)
        }
        let base: String
        if let root { base = root } else { base = try makeRoot() }
        let directory = base + "/\(session)-\(number)"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ExportFailure(description: "cannot create \(directory): \(error.localizedDescription). "
                + "Pass a writable directory to `blenderctl mcp --out-dir`.")
        }
        return directory
    }

    private func makeRoot() throws(ExportFailure) -> String {
        if let configured {
            let absolute = URL(fileURLWithPath: configured).standardizedFileURL.path
            lock.withLock { root = absolute }
            return absolute
        }
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("blenderd-mcp-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard made != nil else {
            throw ExportFailure(description: "cannot make a directory for exports in \(NSTemporaryDirectory()); "
                + "pass one with `blenderctl mcp --out-dir`.")
        }
        let path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return lock.withLock {
            if let existing = root { return existing }  // another export made one first
            root = path
            return path
        }
    }
}
