// Helpers shared by the UVCore tests. Every test follows libuv's test/task.h discipline: it owns
// a fresh loop, and at the end closes every handle, runs the loop so the close callbacks fire,
// and requires uv_loop_close to succeed (`assertClosesCleanly`).

import Foundation
import DaemonTestSupport
import UVCore
import XCTest


/// A short socket path that doesn't exist yet (sun_path is only 108 bytes).
func temporarySocketPath(_ tag: String = #function) -> String {
    let name = tag.filter { $0.isLetter }.prefix(24)
    let path = "/tmp/uvcore-\(getpid())-\(name).sock"
    unlink(path)
    return path
}

/// A real interpreter (not a pyenv shim script), so it starts fast and runs with any environment.
let python: String = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "python3"

/// A deterministic test pattern, so reordering or loss shows up as a mismatch.
func pattern(count: Int, seed: Int = 0) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: ($0 &+ seed) % 251) }
}

/// Collects a connection's input until EOF.
final class Collector {
    var bytes: [UInt8] = []
    var sawEOF = false
    var error: UVError?

    func read(_ connection: Connection) throws {
        try connection.startReading { event in
            switch event {
            case .data(let data): self.bytes.append(contentsOf: data)
            case .eof: self.sawEOF = true
            case .error(let error): self.error = error
            }
        }
    }

    var string: String { String(decoding: bytes, as: UTF8.self) }
}

/// Decodes a waitpid status word (the C macros are not imported).
func decodeWaitStatus(_ status: Int32) -> ExitStatus {
    let signal = status & 0x7f
    return signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
}
