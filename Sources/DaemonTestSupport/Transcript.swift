import BlenderdClient
import Foundation
import JSONRPC

/// A `protocol/tests/**/*.io` transcript: `>>` lines the client sends, `<<` lines the replies it
/// must get. The format and the matching rules are specified in protocol/tests/README.md.
public struct Transcript: Sendable {
    public struct Exchange: Sendable {
        /// The exact bytes sent (one message; may be deliberately broken JSON).
        public var send: String
        public var expect: [(line: Int, value: JSONValue)]
        public var line: Int
    }

    public let name: String
    public private(set) var exchanges: [Exchange] = []
    public var framings: [Framing] = [.newlineDelimited, .header]
    public var maxFrameBytes: Int?

    public init(name: String, text: String) throws {
        self.name = name
        if text.contains("\r") { throw TranscriptError(name: name, line: 0, message: "contains CR; transcripts use LF line endings") }
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            if line.hasPrefix("// @") {
                guard exchanges.isEmpty else {
                    throw TranscriptError(name: name, line: number, message: "directives go before the first >> line")
                }
                try applyDirective(String(line.dropFirst(4)), line: number)
            } else if line.hasPrefix("//") {
                continue
            } else if line.hasPrefix(">> ") {
                exchanges.append(Exchange(send: String(line.dropFirst(3)), expect: [], line: number))
            } else if line.hasPrefix("<< ") {
                guard !exchanges.isEmpty else { throw TranscriptError(name: name, line: number, message: "reply before any request") }
                let value: JSONValue
                do { value = try JSON.parse(Array(line.dropFirst(3).utf8), maxDepth: 1024) } catch {
                    throw TranscriptError(name: name, line: number, message: "expected reply is not JSON: \(error)")
                }
                if let bad = TranscriptMatch.malformedWildcard(in: value) {
                    throw TranscriptError(name: name, line: number, message: "unknown wildcard \"\(bad)\" (use $any, $number, $integer, $string, or $$ for a literal $)")
                }
                exchanges[exchanges.count - 1].expect.append((number, value))
            } else {
                throw TranscriptError(name: name, line: number, message: "line must start with '>> ', '<< ' or '//'")
            }
        }
    }

    private mutating func applyDirective(_ directive: String, line: Int) throws {
        let parts = directive.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { throw TranscriptError(name: name, line: line, message: "directive must be // @key: value") }
        switch (parts[0], parts[1]) {
        case ("framing", "ndjson"): framings = [.newlineDelimited]
        case ("framing", "header"): framings = [.header]
        case ("framing", "both"): framings = [.newlineDelimited, .header]
        case ("max-frame-bytes", let value):
            guard let limit = Int(value), limit > 0 else { throw TranscriptError(name: name, line: line, message: "bad max-frame-bytes") }
            maxFrameBytes = limit
        case ("raw", "allowed"): break
        default: throw TranscriptError(name: name, line: line, message: "unknown directive @\(parts[0]): \(parts[1])")
        }
    }

    /// Every `.io` file under `directory`, sorted by path.
    public static func load(from directory: String) throws -> [Transcript] {
        let root = URL(fileURLWithPath: directory)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var found: [Transcript] = []
        for case let url as URL in walker where url.pathExtension == "io" {
            let name = String(url.path.dropFirst(root.path.count + 1))
            found.append(try Transcript(name: name, text: try String(contentsOf: url, encoding: .utf8)))
        }
        return found.sorted { $0.name < $1.name }
    }

    /// Replays on a fresh connection; returns a description of each mismatch (empty = pass).
    /// After an exchange that expects no reply, and after the last one, a sentinel ping proves
    /// no unexpected message arrived.
    public func replay(socketPath: String, framing: Framing) throws -> [String] {
        let client = try BlenderdClient(path: socketPath, framing: framing, timeout: 10)
        defer { client.close() }
        var failures: [String] = []
        var sentinels = 0
        func checkSentinel(after line: Int) throws {
            sentinels += 1
            let id = "transcript-sentinel-\(sentinels)"
            let ping = #"{"jsonrpc":"2.0","method":"daemon.ping","id":"\#(id)"}"#
            try client.send(raw: FrameEncoder.message(Array(ping.utf8), framing: framing))
            let body = try client.nextMessage()
            let expected: JSONValue = ["jsonrpc": "2.0", "result": ["pong": true], "id": .string(id)]
            let reply = try? JSON.parse(body, maxDepth: 1024)
            if reply.map({ TranscriptMatch.matches(expected: expected, actual: $0) }) != true {
                failures.append("\(name):\(line): expected no reply, got \(String(decoding: body, as: UTF8.self))")
            }
        }
        for exchange in exchanges {
            try client.send(raw: FrameEncoder.message(Array(exchange.send.utf8), framing: framing))
            for (line, expected) in exchange.expect {
                let body = try client.nextMessage()
                guard let actual = try? JSON.parse(body, maxDepth: 1024) else {
                    failures.append("\(name):\(line): reply is not JSON: \(String(decoding: body, as: UTF8.self))")
                    continue
                }
                if !TranscriptMatch.matches(expected: expected, actual: actual, topLevel: true) {
                    failures.append("\(name):\(line): expected \(JSON.string(expected))\n  got \(JSON.string(actual))")
                }
            }
            if exchange.expect.isEmpty { try checkSentinel(after: exchange.line) }
        }
        try checkSentinel(after: exchanges.last?.line ?? 0)
        return failures
    }
}

public struct TranscriptError: Error, CustomStringConvertible {
    public let name: String
    public let line: Int
    public let message: String
    public var description: String { "\(name):\(line): \(message)" }
}

/// The matching rules of protocol/tests/README.md: wildcards, `$$` escapes, an unchecked `data`
/// in expected errors that omit it, batch replies in any order, numbers equal as decimals.
public enum TranscriptMatch {
    static let wildcards: Set<String> = ["$any", "$number", "$integer", "$string"]

    public static func malformedWildcard(in value: JSONValue) -> String? {
        switch value {
        case .string(let text) where text.hasPrefix("$") && !text.hasPrefix("$$") && !wildcards.contains(text):
            return text
        case .array(let items): return items.lazy.compactMap { malformedWildcard(in: $0) }.first
        case .object(let members): return members.values.lazy.compactMap { malformedWildcard(in: $0) }.first
        default: return nil
        }
    }

    /// - Parameter topLevel: `expected` is a whole message: a batch array matches in any order,
    ///   and responses' `error.data` is unchecked when the expectation omits it.
    public static func matches(expected: JSONValue, actual: JSONValue, topLevel: Bool = false) -> Bool {
        if topLevel, case .array(let expectedItems) = expected {
            guard case .array(let actualItems) = actual, actualItems.count == expectedItems.count else { return false }
            return pairsUp(expectedItems, actualItems)
        }
        if topLevel { return matchMessage(expected, actual) }
        return match(expected, actual)
    }

    private static func matchMessage(_ expected: JSONValue, _ actual: JSONValue) -> Bool {
        guard case .object(var expectedMembers) = expected, case .object(var actualMembers) = actual,
            case .object(let expectedError)? = expectedMembers["error"], case .object(var actualError)? = actualMembers["error"]
        else { return match(expected, actual) }
        if expectedError["data"] == nil { actualError["data"] = nil }
        expectedMembers["error"] = nil
        actualMembers["error"] = nil
        return match(.object(expectedError), .object(actualError)) && match(.object(expectedMembers), .object(actualMembers))
    }

    /// Tries every pairing (batches in transcripts are small).
    private static func pairsUp(_ expected: [JSONValue], _ actual: [JSONValue]) -> Bool {
        guard let first = expected.first else { return actual.isEmpty }
        for (index, candidate) in actual.enumerated() where matchMessage(first, candidate) {
            var rest = actual
            rest.remove(at: index)
            if pairsUp(Array(expected.dropFirst()), rest) { return true }
        }
        return false
    }

    private static func match(_ expected: JSONValue, _ actual: JSONValue) -> Bool {
        switch expected {
        case .string("$any"): return true
        case .string("$number"):
            if case .number = actual { return true }
            return false
        case .string("$integer"):
            if case .number(let number) = actual { return DecimalText(number.text)?.isIntegral ?? false }
            return false
        case .string("$string"):
            if case .string = actual { return true }
            return false
        case .string(let text) where text.hasPrefix("$$"):
            return actual == .string(String(text.dropFirst()))
        case .array(let expectedItems):
            guard case .array(let actualItems) = actual, actualItems.count == expectedItems.count else { return false }
            return zip(expectedItems, actualItems).allSatisfy { match($0, $1) }
        case .object(let expectedMembers):
            guard case .object(let actualMembers) = actual, Set(actualMembers.keys) == Set(expectedMembers.keys) else { return false }
            return expectedMembers.allSatisfy { key, value in actualMembers[key].map { match(value, $0) } ?? false }
        case .number(let expectedNumber):
            guard case .number(let actualNumber) = actual else { return false }
            return DecimalText(expectedNumber.text) == DecimalText(actualNumber.text)
        default:
            return expected == actual
        }
    }
}

/// A JSON number literal reduced to sign, significant digits and exponent, so `1`, `1.0` and
/// `1e0` compare equal and `9007199254740993` differs from `9007199254740992` (no binary double).
struct DecimalText: Equatable {
    let negative: Bool
    let digits: String
    let exponent: Int

    init?(_ literal: String) {
        var text = Substring(literal)
        var negative = false
        if text.first == "-" {
            negative = true
            text = text.dropFirst()
        }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let value = Int(text[text.index(after: e)...].replacingOccurrences(of: "+", with: "")) else { return nil }
            exponent = value
            text = text[..<e]
        }
        var digits = String(text)
        if let dot = digits.firstIndex(of: ".") {
            exponent -= digits.distance(from: dot, to: digits.endIndex) - 1
            digits.remove(at: dot)
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isNumber) else { return nil }
        digits = String(digits.drop { $0 == "0" })
        while digits.last == "0" {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty {
            self.negative = false
            self.digits = "0"
            self.exponent = 0
        } else {
            self.negative = negative
            self.digits = digits
            self.exponent = exponent
        }
    }

    var isIntegral: Bool { exponent >= 0 }
}
