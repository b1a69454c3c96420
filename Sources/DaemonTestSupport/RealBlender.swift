import Foundation
import InstancePool

/// The real Blenders the integration tests use: Debian's `blender` (3.4, executable launcher)
/// and the repository's `.venv` Python with `bpy==4.4.0` (module launcher), both installed by
/// scripts/bootstrap.sh.
public enum RealBlender {
    public static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    public static var addonDirectory: String { repositoryRoot + "/addon" }
    public static var executable: String? { executableFile("/usr/bin/blender") }
    public static var bpyPython: String? { executableFile(repositoryRoot + "/.venv/bin/python") }

    /// Both launchers, or a description of what is missing (tests fail with it: the README's
    /// test command installs both, so a missing one is a broken set-up, not a reason to skip).
    public static func launchers() throws -> [Launcher] {
        guard let blender = executable, let python = bpyPython else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey:
                "real Blender missing: /usr/bin/blender=\(executable ?? "absent"), .venv/bin/python=\(bpyPython ?? "absent"); run scripts/bootstrap.sh"])
        }
        return [.executable(blender: blender, addonDirectory: addonDirectory), .module(python: python, addonDirectory: addonDirectory)]
    }

    private static func executableFile(_ path: String) -> String? {
        FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}
