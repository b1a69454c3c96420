// Finds out which Blender a launcher starts before any worker runs, so a session asking for
// ">=4.2" can be refused (-32002) or routed at once. A launcher whose probe fails is unavailable,
// and the reason is logged with what the command printed: never a silent omission.

import UVCore

public enum LauncherStatus: Sendable, Equatable {
    case probing
    case available(BlenderVersion)
    case unavailable(reason: String)
}

enum LauncherProbe {
    /// Probes `launcher` (at once for launchers that know their version).
    static func run(loop: EventLoop, launcher: Launcher, timeoutMilliseconds: Int,
                    _ completion: @escaping (LauncherStatus) -> Void) -> CommandRunner? {
        guard let spec = launcher.probeSpec else {
            if let version = launcher.knownVersion {
                completion(.available(version))
            } else {
                completion(.unavailable(reason: "custom launcher without a version"))
            }
            return nil
        }
        return CommandRunner.run(loop: loop, spec: spec, timeoutMilliseconds: timeoutMilliseconds) { result in
            completion(interpret(result, launcher: launcher, spec: spec, timeoutMilliseconds: timeoutMilliseconds))
        }
    }

    static func interpret(_ result: Result<CommandRunner.Output, any Error>, launcher: Launcher, spec: LaunchSpec,
                          timeoutMilliseconds: Int) -> LauncherStatus {
        let output: CommandRunner.Output
        switch result {
        case .failure(let error):
            return .unavailable(reason: "cannot run `\(spec)`: \(error)")
        case .success(let value):
            output = value
        }
        if output.timedOut {
            return .unavailable(reason: "`\(spec)` did not finish within \(timeoutMilliseconds) ms")
        }
        guard output.status == .exited(0) else {
            let remedy = launcher.kind == .module
                ? " — check that this Python can `import bpy` (pip install bpy matching its Python version)"
                : " — check that this is a working Blender executable"
            return .unavailable(reason: "`\(spec)` \(output.status)\(remedy); it printed: \(tail(output.stderr + output.stdout))")
        }
        guard let version = parseVersion(output.stdout, kind: launcher.kind) else {
            return .unavailable(reason: "`\(spec)` printed no Blender version: \(tail(output.stdout))")
        }
        return .available(version)
    }

    /// `blender --version`: the first line "Blender 3.4.1" (later lines are build details).
    /// The bpy module: the last line that is a version (bpy may print warnings before it).
    static func parseVersion(_ output: String, kind: LauncherKind) -> BlenderVersion? {
        let lines = output.split(whereSeparator: \.isNewline).map { String($0).trimmingSpaces }
        switch kind {
        case .executable:
            return lines.lazy.filter { $0.hasPrefix("Blender ") }.compactMap { BlenderVersion($0) }.first
        case .module, .gui:
            return lines.reversed().lazy.compactMap { BlenderVersion($0) }.first
        }
    }

    private static func tail(_ text: String) -> String {
        let trimmed = text.trimmingSpaces.split(whereSeparator: \.isNewline).suffix(5).joined(separator: " | ")
        if trimmed.isEmpty { return "(nothing)" }
        return trimmed.count > 600 ? String(trimmed.suffix(600)) : trimmed
    }
}
