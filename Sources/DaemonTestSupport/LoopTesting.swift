// Loop helpers for tests of anything built on UVCore. Every such test follows libuv's
// test/task.h discipline: it owns a fresh loop, and at the end closes every handle, runs the
// loop so the close callbacks fire, and requires uv_loop_close to succeed (`assertClosesCleanly`).

import UVCore
import XCTest

extension EventLoop {
    /// Runs the loop until `condition()` holds; false if `timeout` ms passed first. A ticker
    /// every `tick` ms keeps `runOnce` from blocking past the deadline.
    public func run(timeout: Int = 10_000, tick: Int = 5, until condition: () -> Bool) -> Bool {
        let start = EventLoop.hrtimeNanoseconds()
        guard let ticker = try? UVCore.Timer(loop: self), (try? ticker.start(after: tick, repeat: tick) {}) != nil else {
            XCTFail("cannot start the test ticker")
            return false
        }
        defer { ticker.close() }
        while !condition() {
            if EventLoop.hrtimeNanoseconds() - start > UInt64(timeout) * 1_000_000 { return false }
            runOnce()
        }
        return true
    }

    /// Runs for about `milliseconds`, whatever happens.
    public func run(forMilliseconds milliseconds: Int) {
        var done = false
        guard let timer = try? UVCore.Timer(loop: self), (try? timer.start(after: milliseconds) { done = true }) != nil else {
            XCTFail("cannot start the test timer")
            return
        }
        while !done { runOnce() }
        timer.close()
    }
}

/// Closes every handle, lets the close callbacks run, and requires `uv_loop_close` to succeed.
public func assertClosesCleanly(_ loop: EventLoop, file: StaticString = #filePath, line: UInt = #line) {
    loop.closeAllHandles()
    loop.run()
    XCTAssertNoThrow(try loop.close(), "uv_loop_close must return 0", file: file, line: line)
}
