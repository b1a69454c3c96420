import Foundation

/// Where the add-on (`addon/blenderd/worker_main.py`) is: the workers run it. `--addon`, then
/// `$BLENDERD_ADDON`, then a checkout's `addon/` above the running executable (SwiftPM puts it
/// in `<repo>/.build/<triple>/<config>/`), then `/usr/share/blenderd/addon`.
public enum AddonDirectory {
    public static func find(explicit: String?) -> String? {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        if let fromEnvironment = ProcessInfo.processInfo.environment["BLENDERD_ADDON"] { candidates.append(fromEnvironment) }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
            for _ in 0..<6 {
                candidates.append(directory.appendingPathComponent("addon").path)
                directory = directory.deletingLastPathComponent()
            }
        }
        candidates.append("/usr/share/blenderd/addon")
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/blenderd/worker_main.py") }
    }
}
