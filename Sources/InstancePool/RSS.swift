// Resident memory of a worker, for recycling long-lived Blenders that leak (ARCHITECTURE.md,
// "Sessions lease instances"). Read from /proc/<pid>/status: a small procfs file the kernel
// fills on read, so reading it on the loop thread costs microseconds and never blocks on disk.
//
// The pid is the spawned pid: `setpriv` and Blender both exec in place (no wrapper shell, no fork),
// so the process we spawned *is* Blender — InstancePoolTests check worker.ready's pid equals it.

#if canImport(Glibc)
import Glibc
#endif

public enum ResidentMemory {
    /// VmRSS in bytes, or nil when the process is gone or the file is unreadable.
    public static func bytes(pid: Int32) -> Int? {
        guard pid > 0, let text = readSmallFile("/proc/\(pid)/status") else { return nil }
        return parseStatus(text)
    }

    /// Finds `VmRSS:   123456 kB` in a /proc/<pid>/status text.
    public static func parseStatus(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let number = fields.first.flatMap({ Int($0) }) else { return nil }
            let unit = fields.count > 1 ? fields[1].lowercased() : "kb"
            switch unit {
            case "kb": return number * 1024
            case "mb": return number * 1024 * 1024
            default: return number
            }
        }
        return nil
    }

    private static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 64 * 1024 {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
