// Helpers for the InstancePool tests. Like the UVCore tests (libuv's test/task.h discipline),
// every test owns a fresh loop and ends by closing all handles and requiring uv_loop_close to
// succeed; pool tests shut the pool down first and check no worker process is left.

import Foundation
import InstancePool
import JSONRPC
import Logging
import Synchronization
import DaemonTestSupport
import UVCore
import XCTest


func milliseconds(since start: UInt64) -> Double {
    Double(EventLoop.hrtimeNanoseconds() - start) / 1e6
}

/// True when no process with this pid exists (kill(pid, 0) fails with ESRCH).
func processIsGone(_ pid: Int32) -> Bool {
    guard pid > 0 else { return true }
    if kill(pid, 0) == 0 {
        // A zombie still answers kill(0); it is gone as far as running code goes.
        return processState(pid) == "Z"
    }
    return errno == ESRCH
}

/// The state letter in /proc/<pid>/stat ("R", "S", "Z"…), nil when absent.
func processState(_ pid: Int32) -> String? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    return text[text.index(after: close)...].split(separator: " ").first.map(String.init)
}

// MARK: Paths

enum Paths {
    /// The repository root (this file is Tests/InstancePoolTests/TestSupport.swift).
    static let repository: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()
    static let addon = repository + "/addon"
    static let fakeWorker = repository + "/Tests/Fixtures/fake_worker.py"
    /// A real interpreter (not a pyenv shim): fast to start, indifferent to the environment.
    static let python: String = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"
    static let bpyPython: String? = {
        let path = ProcessInfo.processInfo.environment["BLENDERD_TEST_BPY_PYTHON"] ?? repository + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }()
    static let blender: String? = {
        if let path = ProcessInfo.processInfo.environment["BLENDERD_TEST_BLENDER"] { return path }
        return Launcher.findExecutable("blender", searchPath: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin")
    }()
}

/// A launcher for Tests/Fixtures/fake_worker.py.
func fakeLauncher(version: String = "4.4.0", kind: LauncherKind = .module, environment: [String: String] = [:]) -> Launcher {
    var variables = ["PYTHONPATH": Paths.addon, "FAKE_BLENDER_VERSION": version, "FAKE_WORKER_KIND": kind.rawValue]
    variables.merge(environment) { _, new in new }
    return Launcher.custom(executable: Paths.python, arguments: ["-u", Paths.fakeWorker], environment: variables,
                           kind: kind, version: BlenderVersion(version) ?? BlenderVersion(4, 4, 0))
}

// MARK: Logging

/// Keeps every log record so tests can assert a failure was logged with its reason.
final class LogRecorder: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let storage = Mutex<[Record]>([])

    var records: [Record] { storage.withLock { $0 } }

    func append(_ record: Record) { storage.withLock { $0.append(record) } }

    func contains(_ level: Logger.Level, _ fragment: String) -> Bool {
        records.contains { $0.level >= level && $0.message.contains(fragment) }
    }

    var logger: Logger {
        var logger = Logger(label: "test") { _ in RecordingHandler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Everything at warning and above, for failure messages.
    var problems: String {
        records.filter { $0.level >= .warning }.map { "\($0.level): \($0.message) \($0.metadata)" }.joined(separator: "\n")
    }
}

struct RecordingHandler: LogHandler {
    let recorder: LogRecorder
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        recorder.append(.init(level: event.level, message: event.message.description,
                              metadata: merged.mapValues { "\($0)" }))
        if ProcessInfo.processInfo.environment["BLENDERD_TEST_LOG"] != nil {
            FileHandle.standardError.write(Data("[\(event.level)] \(event.message) \(merged)\n".utf8))
        }
    }
}

// MARK: A pool under test

/// A pool on a fresh loop, with helpers to wait for states and to end cleanly.
final class PoolHarness {
    let loop: EventLoop
    let pool: InstancePool
    let log = LogRecorder()
    var events: [(String, InstanceEvent)] = []
    /// Every pid the pool ever spawned, to check none survives.
    var pids: Set<Int32> = []

    init(_ configuration: PoolConfiguration) throws {
        loop = try EventLoop()
        pool = InstancePool(loop: loop, configuration: configuration, logger: log.logger)
        pool.onInstanceEvent = { [unowned self] instance, event in
            events.append((instance.id, event))
            if instance.pid > 0, instance.kind != .gui { pids.insert(instance.pid) }
        }
    }

    func start(readyCount: Int, timeout: Int = 20_000, file: StaticString = #filePath, line: UInt = #line) {
        pool.start()
        XCTAssertTrue(waitReady(readyCount, timeout: timeout), "expected \(readyCount) ready instances; log:\n\(log.problems)",
                      file: file, line: line)
    }

    var readyIdle: [Instance] { pool.instances.filter { $0.state == .ready && $0.lease == nil } }

    func waitReady(_ count: Int, timeout: Int = 20_000) -> Bool {
        loop.run(timeout: timeout) { readyIdle.count >= count }
    }

    /// acquire, run the loop until it completes.
    func acquire(_ requirements: Requirements = Requirements(), owner: String = "s", client: Int = 1,
                 timeout: Int = 20_000) -> Result<Instance, RPCError>? {
        var outcome: Result<Instance, RPCError>?
        pool.acquire(requirements, owner: owner, client: client) { outcome = $0 }
        _ = loop.run(timeout: timeout) { outcome != nil }
        return outcome
    }

    func call(_ instance: Instance, _ method: String, _ params: JSONValue = [:], timeout: Int? = 10_000,
              wait: Int = 20_000) -> Result<JSONValue, RPCError>? {
        var outcome: Result<JSONValue, RPCError>?
        instance.call(method, params: params, timeoutMilliseconds: timeout) { outcome = $0 }
        _ = loop.run(timeout: wait) { outcome != nil }
        return outcome
    }

    func exec(_ instance: Instance, _ code: String, timeout: Int? = 10_000) -> Result<JSONValue, RPCError>? {
        call(instance, "script.exec", ["code": .string(code)], timeout: timeout)
    }

    /// Shuts the pool down, checks every worker is gone, and closes the loop.
    func finish(file: StaticString = #filePath, line: UInt = #line) {
        for instance in pool.instances where instance.pid > 0 && instance.kind != .gui { pids.insert(instance.pid) }
        var done = false
        pool.shutdown { done = true }
        XCTAssertTrue(loop.run(timeout: 15_000) { done }, "pool shutdown did not complete", file: file, line: line)
        XCTAssertTrue(pool.instances.isEmpty, file: file, line: line)
        for pid in pids {
            XCTAssertTrue(processIsGone(pid), "worker \(pid) outlived the pool shutdown", file: file, line: line)
        }
        assertClosesCleanly(loop, file: file, line: line)
    }
}
