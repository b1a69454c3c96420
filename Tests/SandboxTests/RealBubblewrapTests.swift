// The one test that runs bwrap: the argv `Sandbox.wrap` builds for a strict policy is accepted, and
// from the inside the sandbox looks as the policy says. Everything is checked from outside too
// (files that must not exist on the host). Needs bwrap and user namespaces; skipped otherwise.

import Foundation
import Testing
@testable import Sandbox

private let host = SandboxHost.detect()

/// Why the real sandbox cannot run here; nil when it can.
private let unavailable: String? = {
    guard host.bubblewrapPath != nil else { return "bwrap not installed (apt-get install bubblewrap)" }
    guard host.prlimitPath != nil else { return "prlimit not installed (apt-get install util-linux)" }
    if case .unavailable(let reason) = host.userNamespaces { return "unprivileged user namespaces unavailable: \(reason)" }
    return nil
}()

@Suite struct RealBubblewrapTests {
    @Test(.disabled(if: unavailable != nil, Comment(rawValue: unavailable ?? "")))
    func strictSandboxRunsAndHolds() throws {
        let base = FileManager.default.temporaryDirectory.path + "/blenderd-sandbox-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let session = base + "/sessions/s1"
        let outside = base + "/outside"
        try FileManager.default.createDirectory(atPath: session, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: base) }

        let script = """
            echo inside > "$HOME/ok.txt" && echo write_session=ok || echo write_session=denied
            (echo x > \(outside)/escape.txt) 2>/dev/null && echo write_outside=ok || echo write_outside=denied
            (echo x > /usr/escape.txt) 2>/dev/null && echo write_usr=ok || echo write_usr=denied
            (echo x > /etc/escape.txt) 2>/dev/null && echo write_etc=ok || echo write_etc=denied
            echo net=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ',')
            grep -E '^(NoNewPrivs|CapEff):' /proc/self/status | tr -d ' \\t' | sed 's/:/=/'
            echo as=$(grep 'Max address space' /proc/self/limits | awk '{print $4}')
            echo home=$HOME
            echo secret=${SECRET_TOKEN:-none}
            echo pid=$$
            [ -e \(outside) ] && echo outside_visible=yes || echo outside_visible=no
            echo via-fd3 >&3 && echo fd3=ok || echo fd3=closed
            """
        var inner = CommandSpec(executable: "/bin/sh", arguments: ["-c", script],
                                environment: ["PATH": "/usr/bin:/bin", "SECRET_TOKEN": "hunter2", "HOME": "/root"])
        inner.workingDirectory = nil
        let policy = SandboxPolicy(tier: .strict, sessionDirectory: session, protectedPaths: [outside])
        let wrapped = try Sandbox.wrap(inner, policy: policy, host: host)

        // The daemon's environment has a secret too; the spawn gets it and bwrap must drop it.
        // An outer shell opens fd 3 on a host file, as the pool puts the worker channel on fd 3.
        let fd3File = outside + "/fd3.txt"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec 3>\"$0\"; exec \"$@\"", fd3File] + wrapped.command.argv
        process.environment = wrapped.command.environment.merging(["SECRET_TOKEN": "hunter2"]) { $1 }
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "bwrap failed: \(errors)\nargv: \(wrapped.command.argv)")

        var seen: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { seen[parts[0]] = parts[1] }
        }
        #expect(seen["write_session"] == "ok")
        #expect(seen["write_outside"] == "denied")
        #expect(seen["write_usr"] == "denied")
        #expect(seen["write_etc"] == "denied")
        #expect(seen["net"] == "lo,", "only loopback in the network namespace")
        #expect(seen["NoNewPrivs"] == "1")
        #expect(seen["CapEff"] == "0000000000000000")
        #expect(seen["as"] == String(8 << 30))
        #expect(seen["home"] == session)
        #expect(seen["secret"] == "none")
        #expect(seen["pid"] == "2", "a fresh pid namespace: bwrap's init is 1")
        #expect(seen["outside_visible"] == "no")
        #expect(seen["fd3"] == "ok")
        // From outside: the session file is there, nothing else was written, fd 3 reached the host file.
        #expect((try? String(contentsOfFile: session + "/ok.txt", encoding: .utf8)) == "inside\n")
        #expect(!FileManager.default.fileExists(atPath: outside + "/escape.txt"))
        #expect(!FileManager.default.fileExists(atPath: "/usr/escape.txt"))
        #expect(!FileManager.default.fileExists(atPath: "/etc/escape.txt"))
        #expect((try? String(contentsOfFile: fd3File, encoding: .utf8)) == "via-fd3\n")
        #expect(!output.contains("hunter2"))
    }

    /// The standard tier without bwrap: `unshare` gives the worker a network namespace with only
    /// loopback, and setpriv sets no_new_privs.
    @Test(.disabled(if: host.unsharePath == nil || !host.userNamespaces.isAvailable, "needs util-linux unshare and user namespaces"))
    func unshareFallbackCutsTheNetwork() throws {
        var withoutBubblewrap = host
        withoutBubblewrap.bubblewrapPath = nil
        let session = FileManager.default.temporaryDirectory.path + "/blenderd-unshare-\(getpid())"
        try FileManager.default.createDirectory(atPath: session, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: session) }
        let inner = CommandSpec(executable: "/bin/sh", arguments: ["-c",
            "echo net=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | tr '\\n' ','); grep -E '^NoNewPrivs:' /proc/self/status | tr -d ' \\t'"],
            environment: ["PATH": "/usr/bin:/bin"])
        let wrapped = try Sandbox.wrap(inner, policy: SandboxPolicy(tier: .standard, sessionDirectory: session), host: withoutBubblewrap)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrapped.command.executable)
        process.arguments = wrapped.command.arguments
        process.environment = wrapped.command.environment
        let stdout = Pipe()
        process.standardOutput = stdout
        try process.run()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.contains("net=lo,"), "only loopback: \(output)")
        #expect(output.contains("NoNewPrivs:1"), "\(output)")
    }
}
