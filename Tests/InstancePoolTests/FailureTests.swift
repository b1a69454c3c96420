// Workers that crash, hang, never start, or break the protocol: every outstanding call fails
// with the right code and data, the failure is logged with its reason, and the pool replaces the
// instance and keeps serving.

@testable import InstancePool
import DaemonTestSupport
import JSONRPC
import UVCore
import XCTest

final class FailureTests: XCTestCase {
    private func configuration(_ launcher: Launcher = fakeLauncher(), warm: Int = 1, max: Int = 2,
                               readyTimeout: Int = 10_000) -> PoolConfiguration {
        PoolConfiguration(launchers: [launcher], warm: warm, maxInstances: max, readyTimeoutMilliseconds: readyTimeout,
                          healthIntervalMilliseconds: 0)
    }

    func testSegfaultFailsOutstandingCallsAndIsReplaced() throws {
        let harness = try PoolHarness(configuration())
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(try harness.acquire(owner: "sess")?.get())
        var queued: Result<JSONValue, RPCError>?
        var first: Result<JSONValue, RPCError>?
        instance.call("script.exec", params: ["code": "fake.segfault()"], timeoutMilliseconds: 10_000) { first = $0 }
        instance.call("script.exec", params: ["code": "result = 1"], timeoutMilliseconds: 10_000) { queued = $0 }
        XCTAssertTrue(harness.loop.run(timeout: 10_000) { first != nil && queued != nil })
        for outcome in [first, queued] {
            guard case .failure(let error)? = outcome else { XCTFail("expected -32005, got \(String(describing: outcome))"); continue }
            XCTAssertEqual(error.code, .instanceCrashed)
            XCTAssertEqual(error.data?["instance"], .string(instance.id))
            XCTAssertEqual(error.data?["exit"]?["signal"], 11)
            XCTAssertEqual(error.data?["exit"]?["code"], .null)
            XCTAssertTrue(error.message.contains("SIGSEGV"), error.message)
        }
        XCTAssertEqual(instance.state, .dead)
        XCTAssertEqual(instance.exitStatus, .signaled(SIGSEGV))
        XCTAssertEqual(instance.lease, "sess", "the event tells sessions whose instance died")
        XCTAssertTrue(harness.events.contains { event in
            if case .died(let death) = event.1 { return event.0 == instance.id && !death.expected && death.exit == .signaled(11) }
            return false
        })
        XCTAssertTrue(harness.log.contains(.error, "worker died"))
        // The pool restores its warm spare with a new instance.
        XCTAssertTrue(harness.waitReady(1))
        XCTAssertNotEqual(harness.readyIdle.first?.id, instance.id)
        XCTAssertEqual(harness.pool.statistics.crashed, 1)
        harness.pool.release(instance)  // releasing a dead instance just ends the lease
        XCTAssertNil(instance.lease)
        harness.finish()
    }

    func testExitCodeIsReported() throws {
        let harness = try PoolHarness(configuration())
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        guard case .failure(let error)? = harness.exec(instance, "print('bye'); fake.crash(3)") else { return XCTFail("expected -32005") }
        XCTAssertEqual(error.code, .instanceCrashed)
        XCTAssertEqual(error.data?["exit"]?["code"], 3)
        XCTAssertEqual(error.data?["exit"]?["signal"], .null)
        XCTAssertEqual(instance.exitStatus, .exited(3))
        harness.finish()
    }

    func testTimeoutKillsAndReplaces() throws {
        let harness = try PoolHarness(configuration())
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        let start = EventLoop.hrtimeNanoseconds()
        let outcome = harness.exec(instance, "fake.hang()", timeout: 500)
        let elapsed = milliseconds(since: start)
        guard case .failure(let error)? = outcome else { return XCTFail("expected -32004") }
        XCTAssertEqual(error.code, .timeout)
        XCTAssertEqual(error.data?["timeout_s"]?.doubleValue, 0.5)
        XCTAssertEqual(error.data?["instance"], .string(instance.id))
        XCTAssertGreaterThanOrEqual(elapsed, 495)
        XCTAssertLessThan(elapsed, 1500, "the timeout fires on time")
        print("[fake worker] 500 ms timeout answered after \(Int(elapsed)) ms")
        XCTAssertTrue(harness.loop.run(timeout: 5000) { instance.state == .dead })
        XCTAssertEqual(instance.exitStatus, .signaled(SIGKILL))
        XCTAssertTrue(instance.death?.reason.contains("did not finish within 0.5 s") ?? false)
        XCTAssertTrue(harness.events.contains { $0.1 == .timedOut(method: "script.exec", timeoutMilliseconds: 500) })
        XCTAssertTrue(harness.waitReady(1), "replaced")
        XCTAssertEqual(harness.pool.statistics.timedOut, 1)
        harness.finish()
    }

    func testNeverReadyIsKilledAfterReadyTimeout() throws {
        let harness = try PoolHarness(configuration(fakeLauncher(environment: ["FAKE_NEVER_READY": "1"]), readyTimeout: 300))
        let start = EventLoop.hrtimeNanoseconds()
        harness.pool.start()
        let first = try XCTUnwrap(harness.pool.instances.first)
        XCTAssertEqual(first.state, .starting)
        XCTAssertTrue(harness.loop.run(timeout: 5000) { first.state == .dead })
        let elapsed = milliseconds(since: start)
        XCTAssertGreaterThanOrEqual(elapsed, 295)
        XCTAssertLessThan(elapsed, 2000)
        XCTAssertEqual(first.exitStatus, .signaled(SIGKILL))
        XCTAssertTrue(harness.log.contains(.error, "no worker.ready within 300 ms"))
        // It keeps failing: after three in a row the launcher is taken out of service, logged,
        // and requests get -32002 instead of waiting forever.
        XCTAssertTrue(harness.loop.run(timeout: 10_000) {
            if case .unavailable = harness.pool.launcherStatuses[0] { return harness.pool.instances.isEmpty }
            return false
        }, harness.log.problems)
        XCTAssertTrue(harness.log.contains(.error, "3 workers in a row failed to start"))
        guard case .failure(let error)? = harness.acquire() else { return XCTFail("expected -32002") }
        XCTAssertEqual(error.code, .noInstance)
        harness.finish()
    }

    func testSlowReadyStillServesWaiters() throws {
        let harness = try PoolHarness(configuration(fakeLauncher(environment: ["FAKE_READY_DELAY": "0.3"]), warm: 0, max: 1))
        harness.pool.start()
        let start = EventLoop.hrtimeNanoseconds()
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        XCTAssertGreaterThanOrEqual(milliseconds(since: start), 290)
        XCTAssertEqual(try harness.exec(instance, "result = 'ok'")?.get()["value"], "ok")
        harness.finish()
    }

    func testGarbageOnControlChannelKillsButPoolServes() throws {
        let harness = try PoolHarness(configuration())
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        guard case .failure(let error)? = harness.exec(instance, "fake.garbage()") else { return XCTFail("expected -32005") }
        XCTAssertEqual(error.code, .instanceCrashed)
        XCTAssertTrue(error.data?["reason"]?.stringValue?.contains("protocol violation: framing") ?? false, "\(error)")
        XCTAssertEqual(instance.state, .dead)
        XCTAssertTrue(harness.log.contains(.error, "protocol violation on the worker channel"))
        // The pool keeps serving.
        let next = try XCTUnwrap(try harness.acquire()?.get())
        XCTAssertEqual(try harness.exec(next, "result = 7")?.get()["value"], 7)
        harness.finish()
    }

    func testGarbageInsteadOfReady() throws {
        let harness = try PoolHarness(configuration(fakeLauncher(environment: ["FAKE_GARBAGE_AT_START": "1"]), warm: 1, max: 1))
        harness.pool.start()
        let first = try XCTUnwrap(harness.pool.instances.first)
        XCTAssertTrue(harness.loop.run(timeout: 5000) { first.state == .dead })
        XCTAssertTrue(first.death?.reason.contains("protocol violation") ?? false, first.death?.reason ?? "")
        harness.finish()
    }

    func testUnsupportedProtocolIsStopped() throws {
        let harness = try PoolHarness(configuration(fakeLauncher(environment: ["FAKE_PROTOCOL": "2"]), warm: 1, max: 1))
        harness.pool.start()
        let first = try XCTUnwrap(harness.pool.instances.first)
        XCTAssertTrue(harness.loop.run(timeout: 5000) { first.state == .dead })
        XCTAssertEqual(first.exitStatus, .exited(0), "asked to shut down, it exits cleanly")
        XCTAssertTrue(harness.log.contains(.error, "worker speaks protocol 2"))
        XCTAssertEqual(first.death?.expected, false)
        harness.finish()
    }

    func testHealthCheckKillsAFrozenWorker() throws {
        var config = configuration()
        config.healthIntervalMilliseconds = 200
        // Generous: a healthy worker on a loaded CI machine must never miss it.
        config.healthTimeoutMilliseconds = 1000
        let harness = try PoolHarness(config)
        harness.start(readyCount: 1)
        let frozen = try XCTUnwrap(harness.pool.instances.first)
        // Healthy workers answer their pings and stay.
        harness.loop.run(forMilliseconds: 500)
        XCTAssertEqual(frozen.state, .ready)
        kill(frozen.pid, SIGSTOP)
        XCTAssertTrue(harness.loop.run(timeout: 5000) { frozen.state == .dead })
        XCTAssertTrue(frozen.death?.reason.contains("worker.ping did not finish") ?? false, frozen.death?.reason ?? "")
        XCTAssertTrue(harness.waitReady(1))
        XCTAssertFalse(harness.readyIdle.first === frozen)
        harness.finish()
    }

    func testProbeFailuresMakeLaunchersUnavailableWithReason() throws {
        let bareEnvironment = Launcher.daemonEnvironment()
        let launchers = [
            Launcher.executable(blender: "/nonexistent/blender", addonDirectory: Paths.addon, inheritedEnvironment: bareEnvironment),
            // A Python without bpy.
            Launcher.module(python: Paths.python, addonDirectory: Paths.addon, inheritedEnvironment: bareEnvironment),
        ]
        let harness = try PoolHarness(PoolConfiguration(launchers: launchers, warm: 1, maxInstances: 1, healthIntervalMilliseconds: 0))
        harness.pool.start()
        // Requests made while probes run wait for them, then fail with -32002.
        var early: Result<Instance, RPCError>?
        harness.pool.acquire(Requirements(), owner: "s", client: 1) { early = $0 }
        XCTAssertTrue(harness.loop.run(timeout: 20_000) {
            harness.pool.launcherStatuses.allSatisfy { if case .unavailable = $0 { true } else { false } }
        })
        XCTAssertTrue(harness.loop.run(timeout: 1000) { early != nil })
        if case .failure(let error)? = early { XCTAssertEqual(error.code, .noInstance) } else { XCTFail("expected -32002") }
        guard case .unavailable(let missing) = harness.pool.launcherStatuses[0],
              case .unavailable(let noBpy) = harness.pool.launcherStatuses[1] else { return XCTFail() }
        XCTAssertTrue(missing.contains("/nonexistent/blender"), missing)
        XCTAssertTrue(noBpy.contains("bpy"), noBpy)
        XCTAssertTrue(harness.log.contains(.error, "launcher unavailable"))
        XCTAssertTrue(harness.pool.instances.isEmpty)
        harness.finish()
    }
}
