import Testing
@testable import Sandbox

@Suite struct SandboxWrapTests {
    @Test func strictIsPrlimitAroundBwrapAroundTheWorker() throws {
        let wrapped = try Sandbox.wrap(workerCommand, policy: policy(.strict), host: fakeHost())
        let argv = wrapped.command.argv
        #expect(argv.first == "/usr/bin/prlimit")
        let bwrap = try #require(argv.firstIndex(of: "/usr/bin/bwrap"))
        #expect(argv[bwrap - 1] == "--", "prlimit's options end before bwrap")
        #expect(Array(argv[1..<(bwrap - 1)]) == wrapped.rlimits.map(\.prlimitOption))
        #expect(Array(argv[(bwrap + 1)...]) == wrapped.bubblewrap?.arguments)
        #expect(wrapped.command.environment.isEmpty)
        #expect(!argv.contains("SECRET_TOKEN"))
        #expect(wrapped.report.applied == [.bubblewrap, .networkNamespace, .noNewPrivs, .rlimits])
    }

    @Test func strictRefusesWithoutBubblewrap() throws {
        let error = try #require(throws: SandboxError.self) {
            try Sandbox.wrap(workerCommand, policy: policy(.strict), host: fakeHost(bubblewrap: nil))
        }
        #expect(error.code == .bubblewrapMissing)
        #expect(error.remedy?.contains("apt-get install bubblewrap") == true)
        #expect(error.description.contains("apt-get install bubblewrap"))
    }

    @Test func strictRefusesWithoutUserNamespaces() throws {
        let host = fakeHost(userNamespaces: .unavailable(reason: "user.max_user_namespaces is 0"))
        let error = try #require(throws: SandboxError.self) {
            try Sandbox.wrap(workerCommand, policy: policy(.strict), host: host)
        }
        #expect(error.code == .userNamespacesUnavailable)
        #expect(error.message.contains("max_user_namespaces"))
    }

    @Test func strictRefusesWithoutPrlimit() throws {
        let error = try #require(throws: SandboxError.self) {
            try Sandbox.wrap(workerCommand, policy: policy(.strict), host: fakeHost(prlimit: nil))
        }
        #expect(error.code == .prlimitMissing)
        #expect(error.remedy == "apt-get install util-linux")
    }

    @Test func standardWithoutBubblewrapDegradesAndSaysSo() throws {
        let wrapped = try Sandbox.wrap(workerCommand, policy: policy(.standard), host: fakeHost(bubblewrap: nil))
        let argv = wrapped.command.argv
        #expect(argv.first == "/usr/bin/prlimit")
        let setpriv = try #require(argv.firstIndex(of: "/usr/bin/setpriv"))
        #expect(Array(argv[(setpriv + 1)...]) == ["--no-new-privs", "--"] + workerCommand.argv)
        #expect(wrapped.bubblewrap == nil)
        #expect(wrapped.command.environment["HOME"] == session)
        #expect(wrapped.command.environment["SECRET_TOKEN"] == nil)
        #expect(wrapped.command.workingDirectory == session)
        let layer = try #require(wrapped.report[.bubblewrap])
        #expect(layer.status == .notApplied)
        #expect(layer.reason?.contains("apt-get install bubblewrap") == true)
        #expect(wrapped.report.applied == [.noNewPrivs, .rlimits])
        #expect(wrapped.report[.networkNamespace]?.reason?.contains("unshare") == true)
    }

    @Test func standardWithoutBubblewrapStillCutsTheNetworkWithUnshare() throws {
        let wrapped = try Sandbox.wrap(workerCommand, policy: policy(.standard),
                                       host: fakeHost(bubblewrap: nil, unshare: "/usr/bin/unshare"))
        let argv = wrapped.command.argv
        let unshare = try #require(argv.firstIndex(of: "/usr/bin/unshare"))
        #expect(Array(argv[(unshare + 1)...].prefix(4)) == ["--user", "--map-current-user", "--net", "--"])
        #expect(argv.firstIndex(of: "/usr/bin/setpriv").map { $0 > unshare } == true, "setpriv runs inside the namespace")
        #expect(wrapped.report[.networkNamespace]?.status == .applied)

        let noUserNamespaces = try Sandbox.wrap(workerCommand, policy: policy(.standard),
                                                host: fakeHost(bubblewrap: nil, unshare: "/usr/bin/unshare",
                                                               userNamespaces: .unavailable(reason: "sysctl")))
        #expect(!noUserNamespaces.command.argv.contains("/usr/bin/unshare"))
        #expect(noUserNamespaces.report[.networkNamespace]?.status == .notApplied)
    }

    @Test func trustedIsNotWrapped() throws {
        let wrapped = try Sandbox.wrap(workerCommand, policy: policy(.trusted), host: fakeHost(bubblewrap: nil, prlimit: nil))
        #expect(wrapped.command == workerCommand)
        #expect(wrapped.rlimits.isEmpty)
        #expect(wrapped.bubblewrap == nil)
        #expect(wrapped.report.applied.isEmpty)
        #expect(wrapped.report.layers.allSatisfy { $0.reason?.contains("trusted") == true })
    }

    @Test(arguments: [SandboxTier.strict, .standard, .trusted])
    func reportListsEveryLayerWithAReasonWhenNotApplied(tier: SandboxTier) {
        for host in [fakeHost(), fakeHost(bubblewrap: nil, prlimit: nil, setpriv: nil)] {
            let report = SandboxReport.make(policy: policy(tier), host: host)
            #expect(report.layers.map(\.name) == SandboxReport.LayerName.allCases)
            for layer in report.layers where layer.status != .applied {
                #expect(layer.reason?.isEmpty == false, "\(tier) \(layer.name) says why")
            }
            #expect(report[.landlock]?.status == (tier == .trusted ? .notApplied : .planned))
            #expect(report.lines.count == SandboxReport.LayerName.allCases.count)
        }
    }

    @Test func reportSaysWhatTheKernelOffersForLandlock() {
        var host = fakeHost()
        host.landlockABI = 7
        #expect(SandboxReport.make(policy: policy(.strict), host: host)[.landlock]?.reason?.contains("Landlock ABI 7") == true)
        host.landlockABI = nil
        host.landlock = .unavailable(reason: "the kernel has no Landlock (landlock_create_ruleset: ENOSYS)")
        let reason = SandboxReport.make(policy: policy(.strict), host: host)[.landlock]?.reason ?? ""
        #expect(reason.contains("ENOSYS"), "\(reason)")
    }

    @Test func reportEncodesWithSnakeCaseNames() throws {
        let report = SandboxReport.make(policy: policy(.standard), host: fakeHost(bubblewrap: nil, setpriv: nil))
        #expect(report[.noNewPrivs]?.status == .notApplied)
        #expect(SandboxReport.LayerName.noNewPrivs.rawValue == "no_new_privs")
        #expect(SandboxReport.Status.notApplied.rawValue == "not_applied")
    }
}
