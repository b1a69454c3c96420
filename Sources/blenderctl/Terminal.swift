import BlenderdClient
import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// Writes to fd 2 directly: C's `stderr` global is shared mutable state Swift 6 will not touch.
func writeStandardError(_ text: String) {
    writeAll(text, to: 2)
}

/// A line on stdout now, not when `print`'s buffer fills: files streamed by `render` and events
/// followed by `events` reach a pipe as they happen. Whatever `print` buffered goes first.
func writeLine(_ text: String) {
    fflush(nil)
    writeAll(text + "\n", to: 1)
}

private func writeAll(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        if written <= 0 { return }
        bytes = bytes.dropFirst(written)
    }
}

/// One line of live progress on stderr: redrawn in place on a terminal, silent otherwise (a log
/// file gets the lines callers print with `line(_:)` instead of hundreds of redraws).
struct ProgressLine {
    let live = isatty(2) == 1
    private var shown = false

    /// Replaces the live line (terminal only).
    mutating func update(_ text: String) {
        guard live else { return }
        writeStandardError("\r\u{1B}[2K" + text)
        shown = true
    }

    /// Prints a lasting line above the live one (or as a plain line when not a terminal).
    mutating func line(_ text: String) {
        clear()
        writeStandardError(text + "\n")
    }

    mutating func clear() {
        if shown { writeStandardError("\r\u{1B}[2K") }
        shown = false
    }

    static func bar(_ fraction: Double, width: Int = 24) -> String {
        let clamped = max(0, min(1, fraction.isFinite ? fraction : 0))
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }
}

/// Left-aligned columns for lists (instances, sessions, checkpoints).
struct Table {
    var header: [String]
    var rows: [[String]] = []

    func render() -> String {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func format(_ row: [String]) -> String {
            var out = ""
            for (index, cell) in row.enumerated() {
                let last = index == row.count - 1
                out += last ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }
            return out
        }
        return ([format(header)] + rows.map(format)).joined(separator: "\n")
    }
}

enum Format {
    static func bytes(_ count: Int) -> String {
        if count < 1024 { return "\(count) B" }
        if count < 1024 * 1024 { return JSONText.decimal(Double(count) / 1024, places: 1) + " KiB" }
        if count < 1024 * 1024 * 1024 { return JSONText.decimal(Double(count) / 1048576, places: 1) + " MiB" }
        return JSONText.decimal(Double(count) / 1073741824, places: 2) + " GiB"
    }

    static func milliseconds(_ ms: Double?) -> String {
        guard let ms else { return "?" }
        if ms < 1000 { return JSONText.decimal(ms, places: 1) + " ms" }
        return JSONText.decimal(ms / 1000, places: 2) + " s"
    }

    static func seconds(_ s: Double?) -> String {
        guard let s else { return "-" }
        if s < 60 { return JSONText.decimal(s, places: 1) + "s" }
        if s < 3600 { return "\(Int(s) / 60)m\(Int(s) % 60)s" }
        return "\(Int(s) / 3600)h\((Int(s) % 3600) / 60)m"
    }

    /// A JSON value in one line, shortened for a terminal.
    static func compact(_ value: JSONValue, limit: Int = 400) -> String {
        let text = JSON.string(value)
        return text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    /// `script.exec`'s `changes` in one line: `objects +Cube +Cone, materials ~Wood`.
    static func changes(_ changes: JSONValue?) -> String {
        guard let collections = changes?.objectValue, !collections.isEmpty else { return "none" }
        var parts: [String] = []
        for name in collections.keys.sorted() {
            guard let kinds = collections[name]?.objectValue else { continue }
            var items: [String] = []
            for (kind, sign) in [("added", "+"), ("removed", "-"), ("modified", "~")] {
                let names = kinds[kind]?.arrayValue?.compactMap(\.stringValue) ?? []
                items += names.prefix(6).map { sign + $0 }
                if names.count > 6 { items.append("\(sign)\(names.count - 6) more") }
            }
            if !items.isEmpty { parts.append("\(name) " + items.joined(separator: " ")) }
        }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }
}
