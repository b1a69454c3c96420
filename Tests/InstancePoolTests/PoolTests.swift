// The pool over real processes: Tests/Fixtures/fake_worker.py speaks the worker protocol on fd 3
// in a plain Python, so these run in milliseconds per worker.

@testable import InstancePool
import DaemonTestSupport
import JSONRPC
import UVCore
import XCTest

final class PoolTests: XCTestCase {
    private func configuration(_ launchers: [Launcher] = [fakeLauncher()], warm: Int = 1, max: Int = 2) -> PoolConfiguration {
        PoolConfiguration(launchers: launchers, warm: warm, maxInstances: max, readyTimeoutMilliseconds: 10_000,
                          healthIntervalMilliseconds: 0)
    }

    func testSpawnToReady() throws {
        let harness = try PoolHarness(configuration())
        let started = EventLoop.hrtimeNanoseconds()
        harness.start(readyCount: 1)
        print("[fake worker] spawn → ready \(Int(milliseconds(since: started))) ms")
        let instance = try XCTUnwrap(harness.pool.instances.first)
        XCTAssertEqual(instance.id, "i1")
        XCTAssertEqual(instance.state, .ready)
        XCTAssertEqual(instance.info?.blender.version, BlenderVersion(4, 4, 0))
        XCTAssertEqual(instance.info?.pid, instance.pid, "the spawned pid is the worker's (setpriv execs in place)")
        XCTAssertTrue(instance.headless)
        XCTAssertNotNil(instance.readyMilliseconds)
        XCTAssertEqual(harness.pool.launcherStatuses, [.available(BlenderVersion(4, 4, 0))])

        let snapshot = instance.snapshot
        XCTAssertEqual(snapshot.state, .ready)
        XCTAssertEqual(snapshot.blender, "4.4.0")
        XCTAssertEqual(snapshot.engines, ["BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH", "CYCLES"])
        XCTAssertGreaterThan(snapshot.rssBytes ?? 0, 0)
        let encoded = try JSONValueEncoder().encode(snapshot)
        for key in ["id", "state", "kind", "headless", "blender", "engines", "devices", "pid", "rss_bytes", "jobs", "started_at", "uptime_s"] {
            XCTAssertNotNil(encoded[key], "snapshot has \(key)")
        }
        XCTAssertNil(encoded["cpus"], "no --instance-cpus: no cpus member")
        // The worker's stderr reaches the log (debug level), line by line.
        XCTAssertTrue(harness.loop.run(timeout: 2000) {
            harness.log.records.contains { $0.level == .debug && $0.message.contains("fake worker \(instance.pid) starting") }
        })
        XCTAssertEqual(harness.events.first?.1, .created)
        XCTAssertTrue(harness.events.contains { $0.1 == .stateChanged(from: .starting, to: .ready) })
        harness.finish()
    }

    func testAcquireExecReleaseReset() throws {
        let harness = try PoolHarness(configuration(warm: 1, max: 1))
        harness.start(readyCount: 1)

        var latencies: [Double] = []
        for round in 1...3 {
            XCTAssertTrue(harness.waitReady(1))
            let start = EventLoop.hrtimeNanoseconds()
            var acquired: Result<Instance, RPCError>?
            harness.pool.acquire(Requirements(), owner: "session-\(round)", client: 1) { acquired = $0 }
            latencies.append(milliseconds(since: start))
            let instance = try XCTUnwrap(try acquired?.get(), "a warm pool leases at once")
            XCTAssertEqual(instance.state, .busy)
            XCTAssertEqual(instance.lease, "session-\(round)")

            let result = try XCTUnwrap(harness.exec(instance, "print('hi')\nresult = 1 + 1")).get()
            XCTAssertEqual(result["value"], 2)
            XCTAssertEqual(result["stdout"], "hi\n")
            XCTAssertEqual(instance.jobs, round)

            harness.pool.release(instance)
            XCTAssertNil(instance.lease)
            XCTAssertTrue(harness.loop.run(timeout: 5000) { instance.state == .ready })
            XCTAssertNotNil(instance.lastResetMilliseconds)
            XCTAssertNotNil(instance.lastResetWorkerMilliseconds)
        }
        XCTAssertEqual(harness.pool.instances.count, 1, "the same instance served every lease")
        XCTAssertEqual(harness.pool.statistics.resets, 3)
        XCTAssertEqual(harness.pool.statistics.leases, 3)
        let reset = try XCTUnwrap(harness.pool.statistics.averageResetMilliseconds)
        print("[fake worker] acquire on a warm pool: \(latencies.map { String(format: "%.3f", $0) }) ms; reset round trip \(String(format: "%.2f", reset)) ms")
        XCTAssertLessThan(latencies.max() ?? 0, 5, "a warm acquire is a lookup, not a spawn")
        harness.finish()
    }

    func testScriptErrorPassesThrough() throws {
        let harness = try PoolHarness(configuration())
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        let failure = harness.exec(instance, "raise KeyError('Specular')")
        guard case .failure(let error)? = failure else { return XCTFail("expected a script error, got \(String(describing: failure))") }
        XCTAssertEqual(error.code, .scriptError)
        XCTAssertEqual(error.data?["type"], "KeyError")
        XCTAssertEqual(instance.state, .busy, "a script error leaves the instance usable")
        XCTAssertEqual(try harness.exec(instance, "result = 'still here'")?.get()["value"], "still here")
        harness.pool.release(instance)
        harness.finish()
    }

    func testCallsRunOneAtATimeAndTimeoutStartsWhenSent() throws {
        let harness = try PoolHarness(configuration())
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        var order: [String] = []
        var second: Result<JSONValue, RPCError>?
        instance.call("script.exec", params: ["code": "import time; time.sleep(0.4); result = 'first'"], timeoutMilliseconds: 5000) {
            order.append((try? $0.get()["value"]?.stringValue) ?? "error")
        }
        // Queued behind a 0.4 s call with a 0.3 s timeout: it only starts counting when sent.
        instance.call("script.exec", params: ["code": "result = 'second'"], timeoutMilliseconds: 300) {
            second = $0
            order.append((try? $0.get()["value"]?.stringValue) ?? "error")
        }
        XCTAssertTrue(harness.loop.run(timeout: 5000) { order.count == 2 })
        XCTAssertEqual(order, ["first", "second"])
        XCTAssertNoThrow(try second?.get())
        XCTAssertEqual(instance.state, .busy)
        harness.finish()
    }

    func testQueueIsFairAcrossClients() throws {
        var config = configuration(warm: 2, max: 2)
        config.queueLimitPerClient = 5
        config.queueLimit = 15
        let harness = try PoolHarness(config)
        harness.start(readyCount: 2)
        let pool = harness.pool

        // Both instances busy with a long session of client 99.
        let holders = try (0..<2).map { _ in try XCTUnwrap(try harness.acquire(owner: "holder", client: 99)?.get()) }

        // Client 1 queues all of its requests before clients 2 and 3: FIFO would serve 1,1,1,1,1,2,...
        var served: [Int] = []
        var failures: [RPCError] = []
        for client in 1...3 {
            for number in 1...5 {
                pool.acquire(Requirements(), owner: "c\(client)-\(number)", client: client) { result in
                    switch result {
                    case .success(let instance):
                        served.append(client)
                        pool.release(instance)
                    case .failure(let error):
                        failures.append(error)
                    }
                }
            }
        }
        XCTAssertEqual(pool.waitingCount, 15)
        XCTAssertTrue(failures.isEmpty)

        // Over the per-client cap, and over the total cap.
        var rejected: [RPCError] = []
        pool.acquire(Requirements(), owner: "c1-6", client: 1) { if case .failure(let e) = $0 { rejected.append(e) } }
        pool.acquire(Requirements(), owner: "c4-1", client: 4) { if case .failure(let e) = $0 { rejected.append(e) } }
        XCTAssertEqual(rejected.map(\.code), [.overloaded, .overloaded])
        for error in rejected {
            XCTAssertEqual(error.data?["reason"], "queue_full")
            XCTAssertGreaterThanOrEqual(error.data?["retry_after"]?.intValue ?? 0, 1)
        }

        for holder in holders { pool.release(holder) }
        XCTAssertTrue(harness.loop.run(timeout: 20_000) { served.count == 15 }, "served \(served)")
        XCTAssertEqual(served, [1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3])
        XCTAssertEqual(pool.instances.count, 2)
        harness.finish()
    }

    func testImpossibleRequirementsFailWithWhatIsAvailable() throws {
        let harness = try PoolHarness(configuration([fakeLauncher(version: "4.4.0"), fakeLauncher(version: "3.4.1", kind: .executable)],
                                                    warm: 1, max: 2))
        harness.start(readyCount: 2)
        let cases: [(Requirements, String)] = [
            (Requirements(blender: try VersionRequirement(parsing: ">=5")), "no Blender matching \">=5\""),
            (Requirements(device: .gpu), "no GPUs"),
            (Requirements(headless: false), "GUI"),
            (Requirements(engine: "OCTANE"), "engine OCTANE"),
            (Requirements(instance: "i99"), "i99"),
        ]
        for (requirements, fragment) in cases {
            let outcome = harness.acquire(requirements)
            guard case .failure(let error)? = outcome else { XCTFail("\(requirements) should fail, got \(String(describing: outcome))"); continue }
            XCTAssertEqual(error.code, .noInstance)
            XCTAssertTrue(error.message.contains(fragment), "\(error.message) should mention \(fragment)")
            XCTAssertEqual(error.data?["requirements"], requirements.json)
            let available = try XCTUnwrap(error.data?["available"]?.arrayValue)
            XCTAssertEqual(Set(available.compactMap { $0["blender"]?.stringValue }), ["4.4.0", "3.4.1"])
            XCTAssertEqual(Set(available.compactMap { $0["kind"]?.stringValue }), ["module", "executable"])
            XCTAssertEqual(available.first?["headless"], true)
            XCTAssertEqual(available.first?["engines"]?.arrayValue?.count, 3)
        }
        // Version routing: each requirement lands on the launcher that has it.
        let old = try XCTUnwrap(try harness.acquire(Requirements(blender: try VersionRequirement(parsing: "<4")))?.get())
        XCTAssertEqual(old.info?.blender.version, BlenderVersion(3, 4, 1))
        XCTAssertEqual(old.kind, .executable)
        let new = try XCTUnwrap(try harness.acquire(Requirements(blender: try VersionRequirement(parsing: "4.4"), engine: "CYCLES"))?.get())
        XCTAssertEqual(new.info?.blender.version, BlenderVersion(4, 4, 0))
        harness.finish()
    }

    func testSpawnsUpToMaxThenEvictsForOtherVersion() throws {
        // max 1: the warm 4.4 instance must make room for a 3.4 request.
        let harness = try PoolHarness(configuration([fakeLauncher(version: "4.4.0"), fakeLauncher(version: "3.4.1")], warm: 1, max: 1))
        harness.start(readyCount: 1)
        let first = try XCTUnwrap(harness.pool.instances.first)
        XCTAssertEqual(first.info?.blender.version, BlenderVersion(4, 4, 0))
        let old = try XCTUnwrap(try harness.acquire(Requirements(blender: try VersionRequirement(parsing: "3.4")))?.get())
        XCTAssertEqual(old.info?.blender.version, BlenderVersion(3, 4, 1))
        XCTAssertEqual(first.state, .dead)
        XCTAssertEqual(first.death?.expected, true)
        XCTAssertTrue(first.death?.reason.contains("evicted") ?? false)
        XCTAssertEqual(harness.pool.instances.count, 1)
        harness.finish()
    }

    func testRecycleAfterJobs() throws {
        var config = configuration(warm: 1, max: 1)
        config.recycleAfterJobs = 2
        let harness = try PoolHarness(config)
        harness.start(readyCount: 1)
        let first = try XCTUnwrap(try harness.acquire()?.get())
        _ = harness.exec(first, "result = 1")
        harness.pool.release(first)
        XCTAssertTrue(harness.waitReady(1))
        XCTAssertTrue(harness.pool.instances.first === first, "one job: reset, not recycled")
        let again = try XCTUnwrap(try harness.acquire()?.get())
        XCTAssertTrue(again === first)
        _ = harness.exec(again, "result = 2")
        XCTAssertEqual(again.jobs, 2)
        harness.pool.release(again)
        XCTAssertTrue(harness.loop.run(timeout: 10_000) { first.state == .dead && harness.readyIdle.count == 1 })
        XCTAssertEqual(first.death?.expected, true)
        XCTAssertTrue(first.death?.reason.contains("recycling: served 2 jobs") ?? false, first.death?.reason ?? "")
        XCTAssertEqual(first.exitStatus, .exited(0), "a recycled worker exits cleanly after worker.shutdown")
        XCTAssertTrue(harness.events.contains { $0.0 == first.id && $0.1 == .stateChanged(from: .busy, to: .recycling) })
        XCTAssertFalse(harness.readyIdle[0] === first)
        XCTAssertEqual(harness.pool.statistics.recycled, 1)
        harness.finish()
    }

    func testRecycleAboveRSS() throws {
        var config = configuration(warm: 1, max: 1)
        config.recycleAboveRSSBytes = 1  // any real process is above one byte
        let harness = try PoolHarness(config)
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(try harness.acquire()?.get())
        harness.pool.release(instance)
        XCTAssertTrue(harness.loop.run(timeout: 10_000) { instance.state == .dead })
        XCTAssertTrue(instance.death?.reason.contains("RSS") ?? false)
        XCTAssertTrue(harness.waitReady(1))
        harness.finish()
    }

    func testGPUPinningReachesTheWorker() throws {
        // No GPU here: two simulated devices, three instances.
        var config = configuration(warm: 3, max: 3)
        config.gpus = .auto
        config.simulatedGPUs = [GPUDevice(index: 0, type: "CUDA", name: "Sim A"), GPUDevice(index: 1, type: "OPTIX", name: "Sim B")]
        let harness = try PoolHarness(config)
        harness.start(readyCount: 3)
        let instances = harness.pool.instances
        let pinned = instances.filter { $0.gpu != nil }
        XCTAssertEqual(pinned.count, 2, "one instance per device, the third on the CPU")
        XCTAssertEqual(Set(pinned.compactMap { $0.gpu?.index }), [0, 1])
        for instance in pinned {
            // The fake worker reports what BLENDERD_GPU_INDEX/TYPE told it, as the add-on does.
            XCTAssertEqual(instance.info?.gpu?.index, instance.gpu?.index)
            XCTAssertEqual(instance.info?.gpu?.type, instance.gpu?.type)
        }
        let gpuLease = try XCTUnwrap(try harness.acquire(Requirements(device: .gpu), client: 1)?.get())
        XCTAssertNotNil(gpuLease.gpu)
        let cpuLease = try XCTUnwrap(try harness.acquire(Requirements(device: .cpu), client: 2)?.get())
        XCTAssertNil(cpuLease.gpu, "CPU work takes the CPU instance, keeping the GPU free")
        let secondGPU = try XCTUnwrap(try harness.acquire(Requirements(device: .gpu), client: 3)?.get())
        XCTAssertNotNil(secondGPU.gpu)
        // Both devices leased: the next GPU request waits, and gets the device when it frees.
        var waiting: Result<Instance, RPCError>?
        harness.pool.acquire(Requirements(device: .gpu), owner: "w", client: 4) { waiting = $0 }
        harness.loop.run(forMilliseconds: 100)
        XCTAssertNil(waiting)
        XCTAssertEqual(harness.pool.instances.count, 3, "no fourth instance: no free device")
        harness.pool.release(gpuLease)
        XCTAssertTrue(harness.loop.run(timeout: 5000) { waiting != nil })
        XCTAssertEqual(try waiting?.get().gpu, gpuLease.gpu)
        harness.finish()
    }

    func testCPUPinningReachesTheWorker() throws {
        // The last CPU this test may use (on a 1-CPU machine, that one: the pinning still applies).
        let allowed = try XCTUnwrap(CPUSet(list: try XCTUnwrap(cpusAllowed(getpid()))))
        let cpu = try XCTUnwrap(allowed.cpus.last.flatMap { CPUSet([$0]) })
        var config = configuration(warm: 1, max: 1)
        config.pinning = CPUPinning(cpus: cpu, taskset: try XCTUnwrap(CPUPinning.findTaskset(), "util-linux taskset"))
        let harness = try PoolHarness(config)
        harness.start(readyCount: 1)
        let instance = try XCTUnwrap(harness.pool.instances.first)
        XCTAssertEqual(instance.info?.pid, instance.pid, "taskset execs in place: the spawned pid is still the worker's")
        XCTAssertEqual(cpusAllowed(instance.pid), cpu.description, "the worker runs where it was put")
        XCTAssertEqual(instance.snapshot.cpus, cpu.cpus)
        XCTAssertEqual(try JSONValueEncoder().encode(instance.snapshot)["cpus"]?.arrayValue?.compactMap(\.intValue), cpu.cpus)
        harness.finish()
    }

    /// /proc/PID/status's Cpus_allowed_list ("0-1").
    private func cpusAllowed(_ pid: Int32) -> String? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") }
        return line.map { $0.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces) }
    }

    func testAdminSpawnAndStop() throws {
        let harness = try PoolHarness(configuration(warm: 0, max: 2))
        harness.pool.start()
        var spawned: Result<Instance, RPCError>?
        harness.pool.spawn(kind: .module) { spawned = $0 }
        XCTAssertTrue(harness.loop.run(timeout: 10_000) { spawned != nil })
        let instance = try XCTUnwrap(try spawned?.get())
        XCTAssertEqual(instance.state, .ready)

        var wrongKind: Result<Instance, RPCError>?
        harness.pool.spawn(kind: .executable) { wrongKind = $0 }
        XCTAssertEqual(wrongKind.flatMap { try? $0.get() }?.id, nil)
        if case .failure(let error)? = wrongKind { XCTAssertEqual(error.code, .noInstance) } else { XCTFail("expected -32002") }

        var stopped: Result<Void, RPCError>?
        harness.pool.stop(instance.id) { stopped = $0 }
        XCTAssertTrue(harness.loop.run(timeout: 10_000) { stopped != nil })
        XCTAssertNoThrow(try stopped?.get())
        XCTAssertEqual(instance.state, .dead)
        XCTAssertEqual(instance.exitStatus, .exited(0))
        XCTAssertTrue(harness.pool.instances.isEmpty, "warm 0: no replacement")

        var unknown: Result<Void, RPCError>?
        harness.pool.stop("i42") { unknown = $0 }
        if case .failure(let error)? = unknown { XCTAssertEqual(error.code, .invalidParams) } else { XCTFail("expected -32602") }
        harness.finish()
    }

    func testLazyPoolSpawnsOnDemandAndCancelWaiting() throws {
        let harness = try PoolHarness(configuration(warm: 0, max: 1))
        harness.pool.start()
        XCTAssertTrue(harness.pool.instances.isEmpty)
        let first = try XCTUnwrap(try harness.acquire(client: 1)?.get(), "spawned for the request")
        var second: Result<Instance, RPCError>?
        harness.pool.acquire(Requirements(), owner: "b", client: 2) { second = $0 }
        XCTAssertEqual(harness.pool.waitingCount, 1)
        harness.pool.cancelWaiting(client: 2)
        XCTAssertEqual(harness.pool.waitingCount, 0)
        if case .failure(let error)? = second { XCTAssertEqual(error.code, .cancelled) } else { XCTFail("expected -32006") }
        harness.pool.release(first)
        harness.finish()
    }

    func testQueueTimeout() throws {
        var config = configuration(warm: 1, max: 1)
        config.queueTimeoutMilliseconds = 200
        let harness = try PoolHarness(config)
        harness.start(readyCount: 1)
        _ = try XCTUnwrap(try harness.acquire(client: 1)?.get())
        let start = EventLoop.hrtimeNanoseconds()
        let outcome = harness.acquire(client: 2, timeout: 5000)
        guard case .failure(let error)? = outcome else { return XCTFail("expected -32029") }
        XCTAssertEqual(error.code, .overloaded)
        XCTAssertEqual(error.data?["reason"], "queue_timeout")
        XCTAssertGreaterThanOrEqual(milliseconds(since: start), 190)
        harness.finish()
    }

    func testShutdownStopsBusyAndIdleWorkers() throws {
        var config = configuration(warm: 2, max: 3)
        config.terminateGraceMilliseconds = 300
        let harness = try PoolHarness(config)
        harness.start(readyCount: 2)
        let busy = try XCTUnwrap(try harness.acquire()?.get())
        var hung: Result<JSONValue, RPCError>?
        busy.call("script.exec", params: ["code": "fake.hang()"], timeoutMilliseconds: nil) { hung = $0 }
        harness.loop.run(forMilliseconds: 100)
        let pids = harness.pool.instances.map(\.pid)
        XCTAssertGreaterThanOrEqual(pids.count, 2)
        let start = EventLoop.hrtimeNanoseconds()
        harness.finish()
        print("[fake worker] shutdown of \(pids.count) workers (one hung) took \(Int(milliseconds(since: start))) ms")
        for pid in pids { XCTAssertTrue(processIsGone(pid)) }
        if case .failure(let error)? = hung { XCTAssertEqual(error.code, .instanceCrashed) } else { XCTFail("the hung call must fail") }
    }

    func testAttachedGUIWorker() throws {
        let harness = try PoolHarness(configuration([], warm: 0, max: 1))
        harness.pool.start()
        // An in-memory GUI worker: answers on a later loop turn, as a socket would.
        var sent: [Request] = []
        var closed = false
        var instance: Instance?
        let responder = try UVCore.Timer(loop: harness.loop)
        let transport = ClosureTransport(send: { body in
            guard case .single(.success(.request(let request)))? = try? Message.parse(body: body) else { return }
            sent.append(request)
            guard let id = request.id, request.method != "script.exec.noanswer" else { return }
            try? responder.start(after: 1) {
                let result: JSONValue = request.method == "worker.reset" ? .null : ["value": 42]
                instance?.receive(.response(request.method == "worker.reset"
                    ? Response(id: id, error: .methodNotFound("worker.reset"))
                    : Response(id: id, result: .success(result))))
            }
        }, close: { closed = true })
        let info = WorkerInfo(kind: .gui, headless: false, pid: getpid(),
                              blender: .init(version: BlenderVersion(3, 4, 1)), engines: ["CYCLES"])
        instance = harness.pool.attach(connection: transport, info: info)
        let gui = try XCTUnwrap(instance)
        XCTAssertEqual(gui.state, .ready)
        XCTAssertEqual(harness.pool.spawnedCount, 0, "GUIs do not count against maxInstances")

        let leased = try XCTUnwrap(try harness.acquire(Requirements(headless: false))?.get())
        XCTAssertTrue(leased === gui)
        XCTAssertEqual(try harness.exec(gui, "x")?.get()["value"], 42)
        harness.pool.release(gui)
        XCTAssertEqual(gui.state, .ready, "a GUI is never reset")
        XCTAssertFalse(sent.contains { $0.method == "worker.reset" })

        // The GUI goes away mid-call: the call fails -32005 without an exit status.
        _ = try XCTUnwrap(try harness.acquire(Requirements(headless: false))?.get())
        var pending: Result<JSONValue, RPCError>?
        gui.call("script.exec.noanswer", timeoutMilliseconds: nil) { pending = $0 }
        gui.transportDidClose(reason: "the artist closed Blender")
        guard case .failure(let error)? = pending else { return XCTFail("outstanding call must fail") }
        XCTAssertEqual(error.code, .instanceCrashed)
        XCTAssertEqual(error.data?["exit"], .null)
        XCTAssertEqual(gui.state, .dead)
        XCTAssertTrue(closed)
        responder.close()
        harness.finish()
    }
}
