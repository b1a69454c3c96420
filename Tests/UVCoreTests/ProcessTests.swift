import DaemonTestSupport
import Foundation
import Synchronization
import UVCore
import XCTest

final class ProcessTests: XCTestCase {
    /// Spawns and runs the loop until onExit; returns the process and its status.
    @discardableResult
    private func runToExit(
        _ loop: EventLoop, _ options: UVCore.Process.Options, timeout: Int = 15_000,
        whileRunning: (UVCore.Process) throws -> Void = { _ in }
    ) throws -> (UVCore.Process, ExitStatus) {
        var status: ExitStatus?
        var exits = 0
        let process = try UVCore.Process.spawn(loop: loop, options: options) {
            status = $0
            exits += 1
        }
        XCTAssertGreaterThan(process.pid, 0)
        try whileRunning(process)
        XCTAssertTrue(loop.run(timeout: timeout) { status != nil }, "child did not exit in time")
        loop.run(forMilliseconds: 20)
        XCTAssertEqual(exits, 1, "onExit is delivered exactly once")
        XCTAssertEqual(process.exitStatus, status)
        XCTAssertFalse(process.isRunning)
        return (process, try XCTUnwrap(status))
    }

    private func pythonOptions(_ code: String, controlChannel: Bool = true) -> UVCore.Process.Options {
        UVCore.Process.Options(executable: python, arguments: ["-c", code], controlChannel: controlChannel)
    }

    /// Reads the control channel until the child has written `count` bytes.
    private func readControl(_ loop: EventLoop, _ process: UVCore.Process, count: Int) throws -> String {
        let received = Collector()
        try received.read(try XCTUnwrap(process.control))
        XCTAssertTrue(loop.run(timeout: 10_000) { received.bytes.count >= count || received.sawEOF })
        return received.string
    }

    func testControlChannelIsTheChildsFD3() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let received = Collector()
        let (_, status) = try runToExit(loop, pythonOptions("""
            import os
            data = os.read(3, 65536)
            os.write(3, data.upper() + b" from " + str(os.getpid()).encode())
            """)) { process in
            try received.read(try XCTUnwrap(process.control))
            try process.control!.write(Array("hello worker".utf8))
        }
        XCTAssertTrue(loop.run(timeout: 5000) { received.sawEOF })
        XCTAssertTrue(received.string.hasPrefix("HELLO WORKER from "), received.string)
        XCTAssertEqual(status, .exited(0))
    }

    func testChildSeesEOFWhenWeCloseControl() throws {
        // Only the child holds its end: if our end had leaked into the child (not close-on-exec),
        // this read would block forever instead of returning b"".
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let (_, status) = try runToExit(
            loop, pythonOptions("import os; os._exit(0 if os.read(3, 10) == b'' else 1)"), timeout: 10_000
        ) { process in
            process.control!.close()
        }
        XCTAssertEqual(status, .exited(0))
    }

    func testProcessIsReleasedAfterExit() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        weak var weakProcess: UVCore.Process?
        weak var weakControl: Connection?
        var status: ExitStatus?
        do {
            var options = pythonOptions("print('x')")
            options.stdout = .pipe
            let process = try UVCore.Process.spawn(loop: loop, options: options) { status = $0 }
            try process.stdout!.startReading { _ in _ = process.pid }  // a cycle through the closure
            weakProcess = process
            weakControl = process.control
        }
        XCTAssertTrue(loop.run(timeout: 10_000) { status != nil })
        XCTAssertEqual(status, .exited(0))
        weakControl?.close()
        loop.run()
        XCTAssertNil(weakControl)
        XCTAssertNil(weakProcess, "nothing keeps an exited process alive once its handles closed")
    }

    func testExitCode() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let (_, status) = try runToExit(loop, pythonOptions("import sys; sys.exit(7)", controlChannel: false))
        XCTAssertEqual(status, .exited(7))
        XCTAssertEqual(status.code, 7)
    }

    func testSignaledChildReports128PlusSignal() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let (process, status) = try runToExit(
            loop, pythonOptions("import os, time; os.write(3, b'up'); time.sleep(30)")
        ) { process in
            XCTAssertEqual(try readControl(loop, process, count: 2), "up")
            try process.signal(SIGKILL)
        }
        XCTAssertEqual(status, .signaled(SIGKILL))
        XCTAssertEqual(status.code, 137)
        XCTAssertThrowsError(try process.signal(SIGTERM)) { error in
            XCTAssertEqual(error as? UVError, .noSuchProcess, "no signals to a reaped pid")
        }
    }

    func testTerminateEscalatesToSIGKILLAfterGrace() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        var terminatedAt: UInt64 = 0
        let (_, status) = try runToExit(loop, pythonOptions("""
            import os, signal, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            os.write(3, b"ready")
            time.sleep(30)
            """)) { process in
            XCTAssertEqual(try readControl(loop, process, count: 5), "ready")
            terminatedAt = EventLoop.hrtimeNanoseconds()
            process.terminate(grace: 300)
            XCTAssertTrue(process.isTerminating)
            process.terminate(grace: 0)  // ignored: already terminating
        }
        let elapsedMs = (EventLoop.hrtimeNanoseconds() - terminatedAt) / 1_000_000
        XCTAssertEqual(status, .signaled(SIGKILL), "SIGTERM was ignored, so SIGKILL ended it")
        XCTAssertGreaterThanOrEqual(elapsedMs, 250, "SIGKILL waited for the grace period")
        XCTAssertLessThan(elapsedMs, 5000)
    }

    func testTerminateStopsAWellBehavedChildWithSIGTERM() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        var terminatedAt: UInt64 = 0
        let (_, status) = try runToExit(loop, pythonOptions("import os, time; os.write(3, b'r'); time.sleep(30)")) { process in
            XCTAssertEqual(try readControl(loop, process, count: 1), "r")
            terminatedAt = EventLoop.hrtimeNanoseconds()
            process.terminate(grace: 10_000)
        }
        XCTAssertEqual(status, .signaled(SIGTERM))
        XCTAssertEqual(status.code, 143)
        XCTAssertLessThan((EventLoop.hrtimeNanoseconds() - terminatedAt) / 1_000_000, 5000, "no wait for the grace period")
    }

    func testNewSessionMakesTheChildAGroupAndSessionLeader() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let ids = "import os; os.write(3, ('%d %d %d' % (os.getpid(), os.getpgid(0), os.getsid(0))).encode())"
        var report = ""
        let (process, _) = try runToExit(loop, pythonOptions(ids)) { report = try readControl(loop, $0, count: 5) }
        let pid = process.pid
        XCTAssertEqual(report, "\(pid) \(pid) \(pid)")

        var attached = pythonOptions(ids)
        attached.newSession = false
        let (sameGroup, _) = try runToExit(loop, attached) { report = try readControl(loop, $0, count: 5) }
        XCTAssertEqual(report, "\(sameGroup.pid) \(getpgrp()) \(getsid(0))")
    }

    func testSignalReachesTheWholeGroup() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        // The child starts a grandchild in its group and reports its pid; signalling the group
        // must kill the grandchild too.
        var grandchild: Int32 = 0
        let (_, status) = try runToExit(loop, pythonOptions("""
            import os, subprocess, time
            p = subprocess.Popen(["sleep", "30"])
            os.write(3, str(p.pid).encode())
            p.wait()
            """)) { process in
            grandchild = Int32(try readControl(loop, process, count: 2)) ?? 0
            XCTAssertGreaterThan(grandchild, 0)
            process.terminate(grace: 2000)
        }
        XCTAssertEqual(status, .signaled(SIGTERM))
        // The grandchild was reparented to init/a subreaper: poll until it is gone.
        XCTAssertTrue(loop.run(timeout: 5000) { kill(grandchild, 0) != 0 || isZombie(grandchild) })
    }

    func testEnvironmentIsExactlyTheGivenOne() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        var options = UVCore.Process.Options(
            executable: "/usr/bin/env", environment: ["BLENDERD_A": "1", "B": "two words"], stdout: .pipe)
        options.newSession = false
        let output = Collector()
        try runToExit(loop, options) { try output.read(try XCTUnwrap($0.stdout)) }
        XCTAssertEqual(output.string, "B=two words\nBLENDERD_A=1\n")
        XCTAssertTrue(output.sawEOF, "output is drained before onExit")
    }

    func testEnvironmentNilInherits() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        setenv("UVCORE_TEST_MARKER", "inherited", 1)
        defer { unsetenv("UVCORE_TEST_MARKER") }
        let output = Collector()
        try runToExit(loop, UVCore.Process.Options(executable: "env", stdout: .pipe)) {
            try output.read(try XCTUnwrap($0.stdout))
        }
        XCTAssertTrue(output.string.contains("UVCORE_TEST_MARKER=inherited\n"))
        XCTAssertTrue(output.string.contains("PATH="))
    }

    func testWorkingDirectory() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let output = Collector()
        try runToExit(loop, UVCore.Process.Options(executable: "/bin/pwd", workingDirectory: "/usr/share", stdout: .pipe)) {
            try output.read(try XCTUnwrap($0.stdout))
        }
        XCTAssertEqual(output.string, "/usr/share\n")
    }

    func testAllOutputArrivesBeforeOnExit() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        var events: [String] = []
        var stdoutBytes = 0
        var stderrText = ""
        var options = pythonOptions("""
            import sys
            sys.stdout.buffer.write(b"x" * (1 << 20))
            sys.stdout.flush()
            sys.stderr.write("done")
            """, controlChannel: false)
        options.stdout = .pipe
        options.stderr = .pipe
        var status: ExitStatus?
        let process = try UVCore.Process.spawn(loop: loop, options: options) {
            status = $0
            events.append("exit")
        }
        try process.stdout!.startReading { event in
            switch event {
            case .data(let bytes): stdoutBytes += bytes.count
            case .eof: events.append("stdout eof")
            case .error(let error): XCTFail("\(error)")
            }
        }
        try process.stderr!.startReading { event in
            switch event {
            case .data(let bytes): stderrText += String(decoding: bytes, as: UTF8.self)
            case .eof: events.append("stderr eof")
            case .error(let error): XCTFail("\(error)")
            }
        }
        XCTAssertTrue(loop.run(timeout: 10_000) { status != nil })
        XCTAssertEqual(status, .exited(0))
        XCTAssertEqual(stdoutBytes, 1 << 20)
        XCTAssertEqual(stderrText, "done")
        XCTAssertEqual(events.last, "exit")
        XCTAssertEqual(Set(events), ["stdout eof", "stderr eof", "exit"])
        XCTAssertTrue(process.stdout!.isClosing && process.stderr!.isClosing, "outputs are closed by onExit")
    }

    func testOnExitWaitsAtMostTheDrainTimeoutForOutputHeldByAGrandchild() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        var options = pythonOptions("""
            import os, subprocess
            p = subprocess.Popen(["sleep", "30"])
            os.write(3, str(p.pid).encode())
            print("bye", flush=True)
            """)
        options.stdout = .pipe
        options.outputDrainTimeout = 200
        let output = Collector()
        var grandchild: Int32 = 0
        var start: UInt64 = 0
        let (process, status) = try runToExit(loop, options) { process in
            try output.read(try XCTUnwrap(process.stdout))
            grandchild = Int32(try readControl(loop, process, count: 2)) ?? 0
            start = EventLoop.hrtimeNanoseconds()
        }
        let waitedMs = (EventLoop.hrtimeNanoseconds() - start) / 1_000_000
        XCTAssertEqual(status, .exited(0))
        XCTAssertEqual(output.string, "bye\n")
        XCTAssertFalse(output.sawEOF, "the grandchild still holds stdout")
        XCTAssertTrue(process.stdout!.isClosing)
        XCTAssertGreaterThanOrEqual(waitedMs, 150)
        XCTAssertLessThan(waitedMs, 5000)
        // The group outlives its leader: clean up the grandchild.
        XCTAssertGreaterThan(grandchild, 0)
        kill(-process.pid, SIGKILL)
    }

    func testParentDeathSignalIsSetInTheChild() throws {
        try XCTSkipUnless(UVCore.Process.isParentDeathSignalAvailable, "setpriv (util-linux) is not installed")
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let query = """
            import ctypes, os
            value = ctypes.c_int()
            ctypes.CDLL(None).prctl(2, ctypes.byref(value))  # PR_GET_PDEATHSIG
            os.write(3, ("%d %d" % (value.value, os.getpid())).encode())
            """
        var options = pythonOptions(query)
        options.parentDeathSignal = SIGKILL
        var report = ""
        let (process, status) = try runToExit(loop, options) { report = try readControl(loop, $0, count: 3) }
        XCTAssertEqual(report, "\(SIGKILL) \(process.pid)", "setpriv exec'd the child in place, pdeathsig set")
        XCTAssertEqual(status, .exited(0))

        let (_, _) = try runToExit(loop, pythonOptions(query)) { report = try readControl(loop, $0, count: 3) }
        XCTAssertTrue(report.hasPrefix("0 "), "no pdeathsig unless asked: \(report)")
    }

    func testParentDeathSignalKillsTheChildWhenTheSpawningThreadDies() throws {
        try XCTSkipUnless(UVCore.Process.isParentDeathSignalAvailable, "setpriv (util-linux) is not installed")
        // PR_SET_PDEATHSIG fires when the thread that forked exits. Spawn from a thread with its
        // own loop, wait until the child runs, close the loop and let the thread end: the kernel
        // must SIGKILL the child (which would otherwise sleep for 30 s).
        let childPID = PIDBox()
        let thread = Thread {
            do {
                let loop = try EventLoop()
                let child = try UVCore.Process.spawn(
                    loop: loop,
                    options: .init(
                        executable: python, arguments: ["-c", "import os, time; os.write(3, b'up'); time.sleep(30)"],
                        controlChannel: true, parentDeathSignal: SIGKILL),
                    onExit: { _ in })
                var up = false
                try child.control!.startReading { _ in up = true }
                _ = loop.run(timeout: 10_000) { up }
                childPID.set(child.pid)
                loop.closeAllHandles()
                loop.run()
                try loop.close()
            } catch {
                childPID.set(-1)
            }
        }
        thread.start()
        let deadline = Date().addingTimeInterval(10)
        while childPID.get() == 0, Date() < deadline { usleep(5000) }
        let pid = childPID.get()
        XCTAssertGreaterThan(pid, 0, "the spawning thread failed")
        guard pid > 0 else { return }

        var status: Int32 = 0
        var reaped: Int32 = 0
        while reaped == 0, Date() < deadline.addingTimeInterval(5) {
            reaped = waitpid(pid, &status, WNOHANG)
            if reaped == 0 { usleep(10_000) }
        }
        if reaped == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
            XCTFail("the child outlived its spawning thread")
            return
        }
        XCTAssertEqual(reaped, pid)
        XCTAssertEqual(decodeWaitStatus(status), .signaled(SIGKILL))
    }

    func testMissingExecutableThrowsNotFoundWithThePath() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        for options in [
            UVCore.Process.Options(executable: "/nonexistent/blender", controlChannel: true, stdout: .pipe),
            UVCore.Process.Options(executable: "no-such-program-uvcore"),
            UVCore.Process.Options(executable: "/nonexistent/blender", parentDeathSignal: SIGKILL),
        ] {
            var exited = false
            XCTAssertThrowsError(try UVCore.Process.spawn(loop: loop, options: options) { _ in exited = true }) { error in
                XCTAssertEqual(error as? UVError, .notFound, "\(error)")
                XCTAssertEqual((error as? UVError)?.operation, "spawn \(options.executable)")
            }
            loop.run()
            XCTAssertFalse(exited)
        }
    }
}

/// A pid handed from the spawning thread to the test.
final class PIDBox: Sendable {
    private let value = Mutex<Int32>(0)
    func set(_ pid: Int32) { value.withLock { $0 = pid } }
    func get() -> Int32 { value.withLock { $0 } }
}

/// True if `pid` is a zombie (dead, not yet reaped by whoever its parent is now).
func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}
