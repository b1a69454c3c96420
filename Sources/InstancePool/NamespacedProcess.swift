// Finding the worker behind bubblewrap. The pool spawns `prlimit … bwrap … blender`: prlimit
// execs bwrap in place, so the spawned pid is bwrap's; bwrap forks the worker into a new pid
// namespace, where it reports a small pid (2 or 3) in worker.ready. RSS for recycling and the
// SIGINT of request.cancel must reach the worker itself, so the pool looks for the descendant of
// the spawned process whose innermost namespace pid (the last number of `NSpid:` in
// /proc/<pid>/status) is the one the worker reported.

#if canImport(Glibc)
import Glibc
#endif

public enum NamespacedProcess {
    /// The host pid of the descendant of `root` whose innermost pid is `namespacePid`; nil when
    /// none is found (then the caller keeps using `root`).
    public static func hostPid(under root: Int32, namespacePid: Int32, maxDepth: Int = 4) -> Int32? {
        var frontier = [root]
        for _ in 0..<maxDepth {
            var next: [Int32] = []
            for pid in frontier {
                for child in children(of: pid) {
                    if innermostPid(of: child) == namespacePid { return child }
                    next.append(child)
                }
            }
            if next.isEmpty { return nil }
            frontier = next
        }
        return nil
    }

    /// /proc/<pid>/task/<tid>/children of every thread (Linux ≥ 3.5 with CONFIG_PROC_CHILDREN).
    static func children(of pid: Int32) -> [Int32] {
        guard let directory = opendir("/proc/\(pid)/task") else { return [] }
        defer { closedir(directory) }
        var result: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard let tid = Int32(name) else { continue }
            let text = readFile("/proc/\(pid)/task/\(tid)/children") ?? ""
            result += text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: " \n")) }
        }
        return result
    }

    static func innermostPid(of pid: Int32) -> Int32? {
        guard let status = readFile("/proc/\(pid)/status") else { return nil }
        return parseInnermostPid(status)
    }

    /// The last number of the `NSpid:` line of a /proc/<pid>/status text.
    public static func parseInnermostPid(_ status: String) -> Int32? {
        for line in status.split(separator: "\n") where line.hasPrefix("NSpid:") {
            return line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).last.flatMap { Int32($0) }
        }
        return nil
    }

    private static func readFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var slice = self
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return slice
    }
}
