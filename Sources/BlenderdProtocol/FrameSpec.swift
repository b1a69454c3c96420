// `job.submit`'s `frames`: "1-240", "1-10,20,30-40:2". Comma-separated items, each a frame
// number, an inclusive range `a-b`, or a stepped range `a-b:s` (a, a+s, … up to b). Whitespace
// around items and numbers is allowed. Frames are non-negative (a `-` is always a range) and
// at most Blender's MAXFRAME; the result is sorted with duplicates dropped.

public enum FrameSpec {
    /// Blender's largest frame number (MAXFRAME).
    public static let maxFrame = 1_048_574
    /// More frames than this in one job is a mistake, not a farm job.
    public static let maxFrames = 100_000

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func parse(_ text: String) throws(ParseError) -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        guard !text.allSatisfy({ $0 == " " || $0 == "\t" }) else {
            throw ParseError(description: "no frames: give e.g. \"1-240\" or \"1-10,20,30-40:2\"")
        }
        var frames = Set<Int>()
        for raw in items {
            let item = raw.trimmingSpaces
            guard !item.isEmpty else { throw ParseError(description: "empty item between commas in \"\(text)\"") }
            let (rangeText, stepText) = split(item, at: ":")
            let (startText, endText) = split(rangeText, at: "-")
            let start = try number(startText, in: item)
            let end = try endText.map { text throws(ParseError) in try number(text, in: item) } ?? start
            guard endText != nil || stepText == nil else {
                throw ParseError(description: "\"\(item)\": a step needs a range (a-b:s)")
            }
            let step = try stepText.map { text throws(ParseError) in try number(text, in: item) } ?? 1
            guard step >= 1 else { throw ParseError(description: "\"\(item)\": the step must be at least 1") }
            guard start <= end else { throw ParseError(description: "\"\(item)\": the range runs backwards (\(start) > \(end))") }
            guard (end - start) / step + 1 + frames.count <= maxFrames else {
                throw ParseError(description: "more than \(maxFrames) frames in one job; split it")
            }
            for frame in stride(from: start, through: end, by: step) { frames.insert(frame) }
        }
        return frames.sorted()
    }

    /// `frames` in consecutive groups of `size`.
    public static func chunks(_ frames: [Int], size: Int) -> [[Int]] {
        stride(from: 0, to: frames.count, by: max(1, size)).map { Array(frames[$0..<min($0 + max(1, size), frames.count)]) }
    }

    private static func split(_ text: String, at separator: Character) -> (String, String?) {
        guard let index = text.firstIndex(of: separator) else { return (text, nil) }
        return (String(text[..<index]), String(text[text.index(after: index)...]))
    }

    private static func number(_ raw: String, in item: String) throws(ParseError) -> Int {
        let text = raw.trimmingSpaces
        guard !text.isEmpty, text.count <= 7, text.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(text) else {
            throw ParseError(description: "\"\(item)\": \"\(text)\" is not a frame number (0 to \(maxFrame))")
        }
        guard value <= maxFrame else { throw ParseError(description: "\"\(item)\": \(value) is above Blender's last frame \(maxFrame)") }
        return value
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String { String(self).trimmingSpaces }
}
