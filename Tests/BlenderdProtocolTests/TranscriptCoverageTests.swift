import BlenderdProtocol
import Foundation
import Testing

/// Every method of the registry is replayed by the transcript suites: `protocol/tests/<method>/`
/// holds at least one `.io` file (protocol/tools/check.py checks the same for openrpc.json's
/// methods, and OpenRPCConformanceTests that the registry and openrpc.json name the same ones).
@Suite("every method has a transcript")
struct TranscriptCoverageTests {
    @Test func everyRegisteredMethodHasATranscript() throws {
        let tests = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("protocol/tests")
        let manager = FileManager.default
        for name in MethodRegistry.names {
            let files = (try? manager.contentsOfDirectory(atPath: tests.appendingPathComponent(name).path)) ?? []
            #expect(files.contains { $0.hasSuffix(".io") }, "no transcript for \(name): add protocol/tests/\(name)/<case>.io")
        }
        #expect(MethodRegistry.names.contains("events.subscribe") && MethodRegistry.names.contains("events.unsubscribe"))
    }
}
