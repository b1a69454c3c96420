// Finding the next byte that matters inside a JSON string, eight bytes at a time.
//
// Strings are most of the bytes the daemon handles (a script's code, its stdout), and almost all
// of their bytes need nothing but a look. A byte-at-a-time loop with four comparisons per byte
// was the largest self cost in a forwarded script.exec (callgrind); these scans test a 64-bit
// word per step with the classic "has a zero / has a byte less than n" bit tricks, which are
// exact (no false positives), and find the precise byte with a short loop.

enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Nonzero when some byte of `word` is below `n` (n <= 128).
    @inline(__always)
    private static func hasByteBelow(_ word: UInt64, _ n: UInt64) -> UInt64 {
        (word &- ones &* n) & ~word & highs
    }

    /// Nonzero when some byte of `word` equals `byte`.
    @inline(__always)
    private static func hasByte(_ word: UInt64, _ byte: UInt64) -> UInt64 {
        hasByteBelow(word ^ (ones &* byte), 1)
    }

    /// The first index in `start..<end` whose byte a JSON string cannot take as it is: a control
    /// character, `"`, `\`, or a byte >= 0x80 (which needs UTF-8 validation); `end` if none.
    @inline(__always)
    static func firstNonPlain(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        first(base, from: start, to: end,
              word: { hasByteBelow($0, 0x20) | hasByte($0, 0x22) | hasByte($0, 0x5C) | ($0 & highs) },
              byte: { $0 < 0x20 || $0 >= 0x80 || $0 == 0x22 || $0 == 0x5C })
    }

    /// The first index in `start..<end` whose byte must be escaped in JSON output: a control
    /// character, `"` or `\`; `end` if none.
    @inline(__always)
    static func firstNeedingEscape(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Int {
        first(base, from: start, to: end,
              word: { hasByteBelow($0, 0x20) | hasByte($0, 0x22) | hasByte($0, 0x5C) },
              byte: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C })
    }

    /// Whether `start..<end` holds a raw line feed or carriage return.
    @inline(__always)
    static func containsLineBreak(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Bool {
        first(base, from: start, to: end,
              word: { hasByte($0, 0x0A) | hasByte($0, 0x0D) },
              byte: { $0 == 0x0A || $0 == 0x0D }) < end
    }

    /// The scan itself: words while `word` finds nothing in them (nonzero: something may be
    /// there), then bytes until `byte` matches. `word` must be nonzero for every word holding a
    /// byte that `byte` matches. Always inlined, so each caller gets its own loop with its tests
    /// folded in (no closure is called at run time).
    @inline(__always)
    private static func first(_ base: UnsafePointer<UInt8>, from start: Int, to end: Int,
                              word: (UInt64) -> UInt64, byte: (UInt8) -> Bool) -> Int {
        var i = start
        let raw = UnsafeRawPointer(base)
        while i + 8 <= end {
            if word(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) != 0 { break }
            i += 8
        }
        while i < end {
            if byte(base[i]) { return i }
            i += 1
        }
        return end
    }
}
