// The pool with real Blender: the bpy 4.4 module (`.venv/bin/python`) and the Debian 3.4
// executable (`/usr/bin/blender`), probed, spawned, leased, used and reset. Skipped only when
// that Blender is absent (BLENDERD_TEST_BPY_PYTHON / BLENDERD_TEST_BLENDER override the paths).

@testable import InstancePool
import DaemonTestSupport
import JSONRPC
import UVCore
import XCTest

final class RealBlenderTests: XCTestCase {
    func testModuleAndExecutableLaunchers() throws {
        var launchers: [Launcher] = []
        var skipped: [String] = []
        if let python = Paths.bpyPython {
            launchers.append(.module(python: python, addonDirectory: Paths.addon))
        } else {
            skipped.append("no bpy Python at .venv/bin/python (set BLENDERD_TEST_BPY_PYTHON)")
        }
        if let blender = Paths.blender {
            launchers.append(.executable(blender: blender, addonDirectory: Paths.addon))
        } else {
            skipped.append("no blender on PATH (apt install blender, or set BLENDERD_TEST_BLENDER)")
        }
        try XCTSkipIf(launchers.isEmpty, skipped.joined(separator: "; "))
        if !skipped.isEmpty { print("[real blender] partly skipped: \(skipped.joined(separator: "; "))") }

        // One simulated GPU: the first worker is pinned to it, finds no such device on this
        // machine, reports `gpu: null`, and the pool retires the device (real add-on code path).
        let configuration = PoolConfiguration(
            launchers: launchers, warm: launchers.count, maxInstances: launchers.count,
            readyTimeoutMilliseconds: 60_000, healthIntervalMilliseconds: 0, gpus: .indices([0]),
            simulatedGPUs: [GPUDevice(index: 0, type: "CUDA", name: "Simulated")])
        let harness = try PoolHarness(configuration)
        harness.start(readyCount: launchers.count, timeout: 90_000)

        for instance in harness.pool.instances {
            let info = try XCTUnwrap(instance.info)
            let launcher = try XCTUnwrap(instance.launcher)
            guard case .available(let probed)? = instance.launcherIndex.map({ harness.pool.launcherStatuses[$0] }) else {
                return XCTFail("launcher not available")
            }
            XCTAssertEqual(info.blender.version, probed, "the probe and the worker agree")
            XCTAssertEqual(info.kind, launcher.kind)
            XCTAssertEqual(info.pid, instance.pid, "setpriv and Blender exec in place: the spawned pid is Blender's")
            XCTAssertTrue(info.engines.contains("CYCLES"))
            XCTAssertNil(instance.gpu)
            switch launcher.kind {
            case .module: XCTAssertEqual(info.blender.version.major, 4)
            default: XCTAssertEqual(info.blender.version, BlenderVersion(3, 4, 1))
            }
            print("[real blender] \(launcher.kind.rawValue) Blender \(info.blender.version): spawn → worker.ready "
                  + "\(Int(instance.readyMilliseconds ?? 0)) ms (worker says startup_ms=\(info.startupMilliseconds ?? -1))")
        }
        XCTAssertTrue(harness.gpuRetired, "a device no worker could enable is retired")
        XCTAssertTrue(harness.log.contains(.warning, "did not enable"))

        for instance in harness.pool.instances {
            guard let version = instance.info?.blender.version else { continue }
            let requirement = try VersionRequirement(parsing: "\(version.major).\(version.minor)")
            let acquireStart = EventLoop.hrtimeNanoseconds()
            let leased = try XCTUnwrap(try harness.acquire(Requirements(blender: requirement, engine: "CYCLES"))?.get())
            let acquireMs = milliseconds(since: acquireStart)
            XCTAssertEqual(leased.info?.blender.version, version)
            let result = try XCTUnwrap(harness.exec(leased, "result = 1 + 1", timeout: 30_000)).get()
            XCTAssertEqual(result["value"], 2)
            _ = try XCTUnwrap(harness.exec(leased, "bpy.ops.mesh.primitive_cube_add()", timeout: 30_000)).get()
            harness.pool.release(leased)
            XCTAssertTrue(harness.loop.run(timeout: 30_000) { leased.state == .ready })
            // After the reset the scene is empty again.
            let again = try XCTUnwrap(try harness.acquire(Requirements(blender: requirement))?.get())
            let count = try XCTUnwrap(harness.exec(again, "result = len(bpy.data.objects)", timeout: 30_000)).get()
            XCTAssertEqual(count["value"], 0)
            harness.pool.release(again)
            XCTAssertTrue(harness.loop.run(timeout: 30_000) { again.state == .ready })
            print("[real blender] \(instance.kind.rawValue) \(version): acquire \(String(format: "%.3f", acquireMs)) ms, "
                  + "worker.reset round trip \(String(format: "%.1f", instance.lastResetMilliseconds ?? -1)) ms "
                  + "(worker: \(String(format: "%.1f", instance.lastResetWorkerMilliseconds ?? -1)) ms)")
        }
        let stop = EventLoop.hrtimeNanoseconds()
        harness.finish()
        print("[real blender] shutdown \(Int(milliseconds(since: stop))) ms")
    }
}

extension PoolHarness {
    var gpuRetired: Bool { pool.gpuAssignment.devices.isEmpty }
}
