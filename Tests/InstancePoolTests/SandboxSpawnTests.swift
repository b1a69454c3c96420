// The pool and the sandbox: a strict pool on a machine without bubblewrap starts no worker and
// says why (never an unsandboxed fallback); workspaces are made per instance and removed with it.

@testable import InstancePool
import DaemonTestSupport
import Foundation
import JSONRPC
import Sandbox
import UVCore
import XCTest

final class SandboxSpawnTests: XCTestCase {
    private func sandbox(tier: SandboxTier, host: SandboxHost, root: String) -> InstanceSandbox {
        InstanceSandbox(tier: tier, workspacesDirectory: root + "/instances", protectedPaths: [], host: host)
    }

    private func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/blenderd-pool-sandbox-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func testStrictWithoutBubblewrapStartsNothingAndSaysWhy() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var host = SandboxHost.detect()
        host.bubblewrapPath = nil
        var configuration = PoolConfiguration(launchers: [fakeLauncher()], warm: 1, maxInstances: 2, healthIntervalMilliseconds: 0)
        configuration.sandbox = sandbox(tier: .strict, host: host, root: root)
        let harness = try PoolHarness(configuration)
        harness.pool.start()
        XCTAssertTrue(harness.loop.run(timeout: 10_000) {
            if case .unavailable = harness.pool.launcherStatuses[0] { return true }
            return false
        }, "the launcher is taken out of service; log:\n\(harness.log.problems)")
        XCTAssertTrue(harness.pool.instances.isEmpty, "no worker runs without the OS layer")
        XCTAssertTrue(harness.log.contains(.error, "bwrap"), harness.log.problems)
        guard case .failure(let error)? = harness.acquire(timeout: 5_000) else { return XCTFail("expected -32002") }
        XCTAssertEqual(error.code, .noInstance)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root + "/instances"), [],
                       "failed spawns leave no workspace behind")
        harness.finish()
    }

    func testStandardWithoutBubblewrapRunsAndReportsTheMissingLayer() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var host = SandboxHost.detect()
        host.bubblewrapPath = nil
        var configuration = PoolConfiguration(launchers: [fakeLauncher()], warm: 1, maxInstances: 2, healthIntervalMilliseconds: 0)
        configuration.sandbox = sandbox(tier: .standard, host: host, root: root)
        let harness = try PoolHarness(configuration)
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(harness.readyIdle.first)
        let workspace = try XCTUnwrap(instance.workspace)
        XCTAssertTrue(FileManager.default.fileExists(atPath: workspace))
        let report = try XCTUnwrap(instance.sandboxReport)
        XCTAssertEqual(report.tier, .standard)
        XCTAssertEqual(report[.bubblewrap]?.status, .notApplied)
        XCTAssertEqual(report[.rlimits]?.status, .applied)
        XCTAssertEqual(instance.snapshot.sandbox, report, "instance.list shows it")

        // Files a lease leaves in the workspace are gone before the next lease.
        let leased = try XCTUnwrap(try harness.acquire(owner: "first")?.get())
        XCTAssertTrue(FileManager.default.createFile(atPath: workspace + "/left-behind.txt", contents: Data("x".utf8)))
        harness.pool.release(leased)
        XCTAssertTrue(harness.waitReady(1))
        XCTAssertFalse(FileManager.default.fileExists(atPath: workspace + "/left-behind.txt"))
        harness.finish()
        XCTAssertFalse(FileManager.default.fileExists(atPath: workspace), "the workspace goes with its instance")
    }
}
