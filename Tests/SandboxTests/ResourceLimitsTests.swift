import Testing
@testable import Sandbox

@Suite struct ResourceLimitsTests {
    @Test func defaultsPerTier() {
        let gib: UInt64 = 1 << 30
        #expect(ResourceLimits.defaults(for: .strict).rlimits == [
            RLimit(resource: .addressSpace, soft: 8 * gib, hard: 8 * gib),
            RLimit(resource: .cpuSeconds, soft: 1800, hard: 1830),
            RLimit(resource: .openFiles, soft: 1024, hard: 1024),
            RLimit(resource: .processes, soft: 512, hard: 512),
            RLimit(resource: .fileSize, soft: 2 * gib, hard: 2 * gib),
        ])
        let standard = ResourceLimits.defaults(for: .standard)
        #expect(standard.addressSpaceBytes == 32 * gib)
        #expect(standard.cpuSeconds == 4 * 3600)
        #expect(standard.openFiles == 4096 && standard.processes == 2048)
        #expect(standard.fileSizeBytes == 16 * gib)
        #expect(ResourceLimits.defaults(for: .trusted).rlimits.isEmpty)
        // Every strict limit is tighter than standard's.
        for (strict, loose) in zip(ResourceLimits.defaults(for: .strict).rlimits, standard.rlimits) {
            #expect(strict.resource == loose.resource && strict.soft < loose.soft)
        }
    }

    @Test func policyTakesTheTierDefaultsUnlessOverridden() {
        #expect(SandboxPolicy(tier: .strict, sessionDirectory: session).limits == .defaults(for: .strict))
        let custom = ResourceLimits(cpuSeconds: 60)
        #expect(SandboxPolicy(tier: .strict, sessionDirectory: session, limits: custom).limits.rlimits
            == [RLimit(resource: .cpuSeconds, soft: 60, hard: 90)])
    }

    @Test func prlimitOptions() {
        #expect(RLimit(resource: .addressSpace, soft: 1 << 33, hard: 1 << 33).prlimitOption == "--as=8589934592:8589934592")
        #expect(RLimit(resource: .cpuSeconds, soft: 10, hard: 40).prlimitOption == "--cpu=10:40")
        #expect(RLimit(resource: .openFiles, soft: 64, hard: 32).hard == 64, "hard is never below soft")
        #expect(RLimit.Resource.allCases.map(\.linuxResource) == [9, 0, 7, 6, 1])
    }

    @Test func overridesFromText() throws {
        let limits = try ResourceLimits.defaults(for: .strict).applying(overrides: "as=16G, cpu=600,nofile=2048,fsize=unlimited,nproc=1k")
        #expect(limits.addressSpaceBytes == 16 << 30)
        #expect(limits.cpuSeconds == 600)
        #expect(limits.openFiles == 2048)
        #expect(limits.fileSizeBytes == nil)
        #expect(limits.processes == 1024)
        for bad in ["rss=1G", "as", "as=lots", "cpu=-1", "as=99999999999T"] {
            let error = try #require(throws: SandboxError.self, "\(bad)") {
                try ResourceLimits.defaults(for: .strict).applying(overrides: bad)
            }
            #expect(error.code == .invalidPolicy)
            #expect(error.remedy != nil)
        }
    }
}
