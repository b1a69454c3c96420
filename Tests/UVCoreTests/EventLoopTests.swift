import DaemonTestSupport
import Foundation
import Synchronization
import UVCore
import XCTest

final class EventLoopTests: XCTestCase {
    func testEmptyLoopRunsAndCloses() throws {
        let loop = try EventLoop()
        XCTAssertFalse(loop.runNoWait(), "no handles: nothing left to do")
        loop.run()
        try loop.close()
    }

    func testCloseIsBusyWhileHandlesRemain() throws {
        let loop = try EventLoop()
        let timer = try UVCore.Timer(loop: loop)
        XCTAssertThrowsError(try loop.close()) { error in
            XCTAssertEqual(error as? UVError, .busy)
            XCTAssertEqual((error as? UVError)?.name, "EBUSY")
        }
        var closed = false
        timer.close { closed = true }
        timer.close()  // idempotent
        loop.run()
        XCTAssertTrue(closed)
        XCTAssertTrue(timer.isClosing)
        try loop.close()
    }

    func testTimerFiresOnceAndRepeats() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let start = EventLoop.hrtimeNanoseconds()
        var oneShotAt: UInt64?
        let oneShot = try UVCore.Timer(loop: loop)
        try oneShot.start(after: 30) { oneShotAt = EventLoop.hrtimeNanoseconds() }

        var ticks = 0
        let repeating = try UVCore.Timer(loop: loop)
        try repeating.start(after: 5, repeat: 5) {
            ticks += 1
            if ticks == 3 { repeating.stop() }
        }
        loop.run()  // returns when both timers are inactive
        XCTAssertEqual(ticks, 3)
        XCTAssertFalse(repeating.isActive)
        let elapsed = try XCTUnwrap(oneShotAt) - start
        XCTAssertGreaterThanOrEqual(elapsed, 29_000_000, "fired after its timeout")
        XCTAssertLessThan(elapsed, 2_000_000_000)
        XCTAssertGreaterThanOrEqual(loop.nowMilliseconds, 30)
    }

    func testStartOnClosedTimerThrows() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let timer = try UVCore.Timer(loop: loop)
        timer.close()
        loop.run()
        XCTAssertThrowsError(try timer.start(after: 1) {}) { error in
            XCTAssertEqual(error as? UVError, .invalidArgument)
        }
    }

    func testSignalWatcherReceivesRaisedSignal() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        var received: [Int32] = []
        let watcher = try SignalWatcher(loop: loop, signal: SIGUSR1) { signal in
            received.append(signal)
        }
        XCTAssertEqual(watcher.signal, SIGUSR1)
        raise(SIGUSR1)
        XCTAssertTrue(loop.run(timeout: 5000) { !received.isEmpty })
        XCTAssertEqual(received, [SIGUSR1])
    }

    func testUnreferencedWatcherDoesNotHoldTheLoop() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let watcher = try SignalWatcher(loop: loop, signal: SIGUSR2) {}
        XCTAssertTrue(watcher.keepsLoopAlive)
        watcher.keepsLoopAlive = false
        loop.run()  // would block forever if the watcher still counted
        XCTAssertFalse(watcher.isClosing)
    }

    func testLoopWakeupFromAnotherThread() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        let mailbox = Mailbox()
        var delivered: [Int] = []
        let wakeup = try LoopWakeup(loop: loop) {
            delivered.append(contentsOf: mailbox.take())
        }
        let thread = Thread {
            for value in 1...5 {
                mailbox.put(value)
                wakeup.send()
            }
        }
        thread.start()
        XCTAssertTrue(loop.run(timeout: 5000) { delivered.count == 5 })
        XCTAssertEqual(delivered, [1, 2, 3, 4, 5])
        wakeup.close()
        wakeup.send()  // after close: a no-op, not a crash
    }

    func testHandlesKeepThemselvesAliveUntilTheirCloseCallback() throws {
        let loop = try EventLoop()
        defer { assertClosesCleanly(loop) }
        weak var weakTimer: UVCore.Timer?
        var fired = false
        do {
            // Dropped at once, yet it must still fire: the started handle retains itself.
            let timer = try UVCore.Timer(loop: loop)
            try timer.start(after: 5) { [unowned timer] in
                fired = true
                timer.close()  // a closure capturing its own timer: released in the close callback
            }
            weakTimer = timer
        }
        XCTAssertNotNil(weakTimer)
        loop.run()
        XCTAssertTrue(fired)
        XCTAssertNil(weakTimer, "released exactly once, in the close callback")

        weak var weakWatcher: SignalWatcher?
        do {
            let watcher = try SignalWatcher(loop: loop, signal: SIGUSR2) { _ in }
            weakWatcher = watcher
            watcher.close()
        }
        XCTAssertNotNil(weakWatcher, "alive while closing")
        loop.run()
        XCTAssertNil(weakWatcher)
    }

    func testUVErrorNamesAndPatterns() {
        let error = UVError(code: UVError.connectionRefused.code, operation: "connect /tmp/x")
        XCTAssertEqual(error.name, "ECONNREFUSED")
        XCTAssertEqual(error.message, "connection refused")
        XCTAssertEqual(error, .connectionRefused, "equality is by code")
        XCTAssertEqual(error.description, "connect /tmp/x: connection refused (ECONNREFUSED)")
        XCTAssertTrue(UVError.connectionRefused ~= error as any Error)
        XCTAssertFalse(UVError.notFound ~= error as any Error)
        XCTAssertEqual(UVError.eof.name, "EOF")
        XCTAssertLessThan(UVError.notFound.code, 0)
    }
}

/// A tiny thread-safe queue for the wake-up test: the handler drains what senders put.
final class Mailbox: Sendable {
    private let items = Mutex<[Int]>([])
    func put(_ value: Int) { items.withLock { $0.append(value) } }
    func take() -> [Int] { items.withLock { items in defer { items = [] }; return items } }
}
