import Daemon
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// Replays every `protocol/tests/**/*.io` transcript against a real daemon, in both framings.
/// The JSON-RPC 2.0 specification's section 7 examples live in `protocol/tests/spec/`.
@Suite("protocol transcripts")
struct TranscriptTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("protocol/tests").path

    @Test(arguments: [Framing.newlineDelimited, .header])
    func allTranscriptsPass(framing: Framing) throws {
        let transcripts = try Transcript.load(from: Self.root)
        try #require(transcripts.contains { $0.name.hasPrefix("spec/") }, "no spec transcripts under \(Self.root)")
        // One daemon per (spec methods?, frame limit) combination, as the format prescribes.
        var daemons: [String: TestDaemon] = [:]
        defer { daemons.values.forEach { $0.stop() } }
        for transcript in transcripts where transcript.framings.contains(framing) {
            let spec = transcript.name.hasPrefix("spec/")
            let key = "\(spec)-\(transcript.maxFrameBytes ?? 0)"
            let daemon: TestDaemon
            if let running = daemons[key] {
                daemon = running
            } else {
                let limit = transcript.maxFrameBytes
                var extend: ((MethodTable) -> Void)?
                if spec { extend = { table in SpecExampleMethods.register(table) } }
                daemon = try TestDaemon(configure: { if let limit { $0.limits.maxFrameBytes = limit } }, extend: extend)
                daemons[key] = daemon
            }
            let failures = try transcript.replay(socketPath: daemon.socketPath, framing: framing)
            #expect(failures.isEmpty, "\(transcript.name) [\(framing)]:\n\(failures.joined(separator: "\n"))")
        }
    }

    @Test func placeholderMatching() throws {
        #expect(TranscriptMatch.matches(expected: "$number", actual: .number(JSONNumber(1.5))))
        #expect(!TranscriptMatch.matches(expected: "$integer", actual: .number(JSONNumber(1.5))))
        #expect(!TranscriptMatch.matches(expected: "$string", actual: .number(JSONNumber(1))))
        #expect(TranscriptMatch.matches(expected: ["a": "$any"], actual: ["a": .null]))
        #expect(!TranscriptMatch.matches(expected: ["a": "$any"], actual: ["a": .null, "b": .null]))
        #expect(TranscriptMatch.matches(expected: [["id": 1], ["id": 2]], actual: [["id": 2], ["id": 1]], topLevel: true))
        #expect(TranscriptMatch.matches(expected: 9007199254740993, actual: .number(JSONNumber(literal: "9007199254740993") ?? 0)))
        #expect(!TranscriptMatch.matches(expected: 9007199254740993, actual: .number(JSONNumber(literal: "9007199254740992") ?? 0)))
        #expect(TranscriptMatch.matches(expected: 1, actual: .number(JSONNumber(literal: "1.0e0") ?? 0)))
        #expect(TranscriptMatch.matches(expected: "$$any", actual: "$any"))
        #expect(TranscriptMatch.malformedWildcard(in: ["a": "$nmber"]) == "$nmber")
        let error: JSONValue = ["jsonrpc": "2.0", "id": 1, "error": ["code": -32601, "message": "Method not found"]]
        let withData: JSONValue = ["jsonrpc": "2.0", "id": 1, "error": ["code": -32601, "message": "Method not found", "data": ["method": "x"]]]
        #expect(TranscriptMatch.matches(expected: error, actual: withData, topLevel: true))
        #expect(!TranscriptMatch.matches(expected: error, actual: withData))
        #expect(!TranscriptMatch.matches(expected: [1, 2], actual: [2, 1]))
    }
}
