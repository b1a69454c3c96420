import Testing
@testable import Sandbox

@Suite struct BubblewrapCommandTests {
    func build(_ policy: SandboxPolicy, _ inner: CommandSpec = workerCommand,
               host: SandboxHost = fakeHost()) throws -> BubblewrapCommand {
        try BubblewrapCommand(policy: policy, inner: inner, bubblewrap: "/usr/bin/bwrap", pathKind: host.pathKind)
    }

    @Test(arguments: [SandboxTier.strict, .standard])
    func namespacesAndLifetime(tier: SandboxTier) throws {
        let options = try build(policy(tier)).arguments.bubblewrapOptions
        for flag in ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
                     "--disable-userns", "--die-with-parent", "--new-session", "--clearenv"] {
            #expect(options.filter { $0 == flag }.count == 1, "\(flag) once in \(tier)")
        }
        #expect(options.operands(of: "--tmpfs") == [["/tmp"]])
        #expect(options.operands(of: "--proc") == [["/proc"]])
        #expect(options.operands(of: "--dev") == [["/dev"]])
        #expect(options.operands(of: "--hostname") == [["blenderd"]])
        #expect(options.operands(of: "--cap-drop") == [["ALL"]])
        #expect(!options.contains("--cap-add"))
        #expect(!options.contains("--share-net"))
    }

    @Test func standardMayKeepTheHostNetworkStrictMayNot() throws {
        #expect(!(try build(policy(.standard, network: true)).arguments.contains("--unshare-net")))
        #expect(throws: SandboxError.self) { try build(policy(.strict, network: true)) }
    }

    @Test func innerCommandFollowsTheSeparatorUnchanged() throws {
        let arguments = try build(policy(.strict)).arguments
        let separator = try #require(arguments.firstIndex(of: "--"))
        #expect(Array(arguments[(separator + 1)...]) == workerCommand.argv)
        // The inner command's own "--" (Blender's end of options) comes after bwrap's.
        #expect(arguments.lastIndex(of: "--")! > separator)
    }

    @Test func mountOrder() throws {
        let options = try build(policy(.strict)).arguments.bubblewrapOptions
        let tmpfs = try #require(options.firstIndex(of: "--tmpfs"))
        let firstReadOnly = try #require(options.firstIndex(of: "--ro-bind"))
        let proc = try #require(options.firstIndex(of: "--proc"))
        let bind = try #require(options.firstIndex(of: "--bind"))
        let size = try #require(options.firstIndex(of: "--size"))
        #expect(size + 2 == tmpfs, "--size applies to the next --tmpfs")
        #expect(tmpfs < firstReadOnly && firstReadOnly < proc && proc < bind)
        #expect(options.lastIndex(of: "--ro-bind")! < bind, "the writable bind comes last")
        let remount = try #require(options.firstIndex(of: "--remount-ro"))
        #expect(options[remount + 1] == "/" && bind < remount, "the skeleton root turns read-only after every mount")
        #expect(remount < options.firstIndex(of: "--clearenv")!)
        #expect(options.suffix(2).first == "--chdir")
    }

    @Test func existingPathsBoundReadOnlyMissingOnesSkippedSymlinksKept() throws {
        let command = try build(policy(.strict))
        let options = command.arguments.bubblewrapOptions
        #expect(options.operands(of: "--ro-bind", count: 2) == [
            ["/usr", "/usr"], ["/etc/ld.so.cache", "/etc/ld.so.cache"], ["/etc/fonts", "/etc/fonts"],
            ["/etc/ssl", "/etc/ssl"], ["/opt/blender", "/opt/blender"], ["/srv/addon", "/srv/addon"],
        ])
        #expect(options.operands(of: "--symlink", count: 2) == [["usr/bin", "/bin"], ["usr/lib", "/lib"]])
        #expect(command.skippedPaths.contains("/lib64"))
        #expect(command.skippedPaths.contains("/etc/vulkan"))
        for skipped in command.skippedPaths { #expect(!options.contains(skipped)) }
    }

    @Test func sessionDirectoryIsTheOnlyWritableBind() throws {
        let options = try build(policy(.strict)).arguments.bubblewrapOptions
        #expect(options.operands(of: "--bind", count: 2) == [[session, session]])
        for flag in ["--dev-bind", "--bind-try", "--dev-bind-try", "--bind-fd"] { #expect(!options.contains(flag)) }
    }

    @Test func environmentIsScrubbed() throws {
        let command = try build(policy(.strict))
        let options = command.arguments.bubblewrapOptions
        let set = Dictionary(uniqueKeysWithValues: options.operands(of: "--setenv", count: 2).map { ($0[0], $0[1]) })
        #expect(set == ["PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "PYTHONNOUSERSITE": "1", "CUDA_VISIBLE_DEVICES": "1",
                        "HOME": session, "TMPDIR": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"])
        #expect(options.firstIndex(of: "--clearenv")! < options.firstIndex(of: "--setenv")!)
        #expect(!command.arguments.contains { $0.contains("SECRET_TOKEN") || $0.contains("hunter2") })
        #expect(!command.arguments.contains { $0.contains("/home/daemon-user") || $0.contains("/run/user") })
        #expect(command.droppedEnvironmentNames == ["BLENDERD_SOCKET", "SECRET_TOKEN", "XDG_RUNTIME_DIR"])
        #expect(command.command.environment.isEmpty, "bwrap itself gets no environment either")
    }

    @Test func allowedPrefixesLetACustomLaunchersSettingsThrough() throws {
        var policy = policy(.strict)
        policy.allowedEnvironmentPrefixes = ["FAKE_"]
        var inner = workerCommand
        inner.environment["FAKE_BLENDER_VERSION"] = "4.4.0"
        let set = try build(policy, inner).arguments.operands(of: "--setenv", count: 2)
        #expect(set.contains(["FAKE_BLENDER_VERSION", "4.4.0"]))
        #expect(!set.contains { $0[0] == "SECRET_TOKEN" })
    }

    @Test func workingDirectoryDefaultsToTheSession() throws {
        #expect(try build(policy(.strict)).arguments.operands(of: "--chdir") == [[session]])
        var inner = workerCommand
        inner.workingDirectory = session + "/renders/"
        #expect(try build(policy(.strict), inner).arguments.operands(of: "--chdir") == [[session + "/renders"]])
    }

    @Test func daemonDirectoriesAreNeverBound() throws {
        // Binding /run (or the socket directory itself, or HOME) would expose them: refused.
        for exposing in ["/run", "/run/user/1000/blenderd", "/home", "/"] {
            let error = try #require(throws: SandboxError.self) {
                try build(policy(.strict, readOnly: SandboxPolicy.systemPaths + [exposing]))
            }
            #expect(error.code == .exposesProtectedPath, "\(exposing)")
        }
        var inside = policy(.strict)
        inside.sessionDirectory = "/run/user/1000"
        #expect(throws: SandboxError.self) { try build(inside) }
        // In a normal policy none of them appears anywhere in the argv.
        let arguments = try build(policy(.strict)).arguments
        #expect(!arguments.contains { $0.hasPrefix("/run") || $0.hasPrefix("/home") })
    }

    @Test func selfDefeatingPoliciesAreRefused() throws {
        var relative = policy(.strict)
        relative.sessionDirectory = "sessions/s1"
        var root = policy(.strict)
        root.sessionDirectory = "/"
        let shadowing = policy(.strict, readOnly: ["/usr", session + "/addon"])
        for bad in [relative, root, shadowing] {
            let error = try #require(throws: SandboxError.self) { try build(bad) }
            #expect(error.code == .invalidPolicy)
        }
        var inner = workerCommand
        inner.executable = "blender"
        #expect(throws: SandboxError.self) { try build(policy(.strict), inner) }
    }

    @Test func gpuDeviceNodesAreBoundOnlyWhenAsked() throws {
        var policy = SandboxPolicy(tier: .strict, sessionDirectory: "/state/instances/i1", readOnlyPaths: [])
        let cpu = try BubblewrapCommand(policy: policy, inner: CommandSpec(executable: "/usr/bin/blender"), bubblewrap: "/usr/bin/bwrap") { _ in .directory }
        #expect(!cpu.arguments.contains("--dev-bind-try"))
        policy.devicePaths = SandboxPolicy.gpuDevices(index: 1)
        let gpu = try BubblewrapCommand(policy: policy, inner: CommandSpec(executable: "/usr/bin/blender"), bubblewrap: "/usr/bin/bwrap") { _ in .directory }
        let args = gpu.arguments
        let dev = try #require(args.firstIndex(of: "/dev").map { $0 })
        let first = try #require(args.firstIndex(of: "--dev-bind-try"))
        #expect(first > dev, "after the fresh /dev")
        #expect(args.contains("/dev/nvidia1") && args.contains("/dev/dri"))
    }
}
