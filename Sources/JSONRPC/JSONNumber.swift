// A JSON number that remembers how it was written.
//
// JSON-RPC request ids may be numbers, and a reply must echo the id the client sent. Converting
// `1.50` or `12345678901234567890` through Double (or Int) would change the bytes on the wire, so
// a number keeps its literal text and converts only when a caller asks for `int` or `double`.

/// A JSON number: the literal text as written, with exact integer and Double views.
///
/// Equality is on the *literal*: `1`, `1.0` and `1e0` are three different numbers here, because
/// they are three different ids on the wire. Integers written canonically (`-?(0|[1-9][0-9]*)`,
/// within `Int`'s range) are stored as `Int`, so the common case costs no string.
public struct JSONNumber: Hashable, Sendable {
    // Canonical integers are kept as Int so ids and counters never allocate; everything else keeps
    // its text. The representation is canonical, so synthesized Hashable is literal equality.
    @usableFromInline
    enum Storage: Hashable, Sendable {
        case int(Int)
        case literal(String)
    }

    @usableFromInline
    let storage: Storage

    /// An integer number; its text is the decimal form (`-42`).
    @inlinable
    public init(_ value: Int) {
        storage = .int(value)
    }

    /// A floating-point number written in Swift's shortest round-tripping form (`0.1`, `1e-05`,
    /// `100.0`). JSON has no NaN or infinity: a non-finite value is written as `null`, as
    /// JavaScript's `JSON.stringify` does, so the output stays valid JSON. `JSONValueEncoder`
    /// refuses non-finite values instead, so typed code gets an error rather than a silent null.
    public init(_ value: Double) {
        if value.isFinite {
            storage = .literal(value.description)
        } else {
            storage = .literal("null")
        }
    }

    /// A number from its literal text; nil unless `text` is exactly an RFC 8259 number
    /// (no leading `+`, no leading zeros, no `.5`, no surrounding spaces).
    public init?(literal text: String) {
        var text = text
        let parsed: Storage? = text.withUTF8 { utf8 in
            guard JSONNumber.scanLiteral(utf8) == utf8.count else { return nil }
            return JSONNumber.storage(forValidLiteral: utf8)
        }
        guard let parsed else { return nil }
        storage = parsed
    }

    /// Built by the parser from bytes already checked against the grammar.
    @usableFromInline
    init(storage: Storage) {
        self.storage = storage
    }

    /// The number as written (for integers built from `Int`, their decimal form).
    public var text: String {
        switch storage {
        case .int(let value): return String(value)
        case .literal(let text): return text
        }
    }

    /// The value as an `Int` when the number is exactly an integer in `Int`'s range
    /// (`3`, `-0`, `3.0` and `3e2` are; `3.5`, `1e400` and `1e-2` are not); otherwise nil.
    public var int: Int? {
        switch storage {
        case .int(let value):
            return value
        case .literal(var text):
            return text.withUTF8 { JSONNumber.exactInteger($0) }
        }
    }

    /// The value as the nearest `Double` (huge magnitudes become ±infinity, tiny ones ±0).
    public var double: Double {
        switch storage {
        case .int(let value):
            return Double(value)
        case .literal(let text):
            // The grammar of JSON numbers is a subset of what Double(String) accepts.
            return Double(text) ?? .nan
        }
    }
}

extension JSONNumber: CustomStringConvertible {
    public var description: String { text }
}

extension JSONNumber: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    public init(integerLiteral value: Int) {
        self.init(value)
    }

    public init(floatLiteral value: Double) {
        self.init(value)
    }
}

// MARK: - Grammar helpers shared with the parser

extension JSONNumber {
    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// Length of the longest prefix of `bytes` that is a JSON number, or nil when the prefix is
    /// not one (`-`, `01` stops after `0` and is left to the caller to reject, `1.`, `1e`).
    static func scanLiteral(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        if i < n && bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < n else { return nil }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
        } else if isDigit(bytes[i]) {
            while i < n && isDigit(bytes[i]) { i += 1 }
        } else {
            return nil
        }
        if i < n && bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard i < n && isDigit(bytes[i]) else { return nil }
            while i < n && isDigit(bytes[i]) { i += 1 }
        }
        if i < n && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard i < n && isDigit(bytes[i]) else { return nil }
            while i < n && isDigit(bytes[i]) { i += 1 }
        }
        return i
    }

    /// The storage for a literal known to match the grammar: `.int` exactly when the literal is a
    /// canonical integer that fits, so equal literals always get equal storage.
    static func storage(forValidLiteral bytes: UnsafeBufferPointer<UInt8>) -> Storage {
        if let value = canonicalInteger(bytes) {
            return .int(value)
        }
        return .literal(String(decoding: bytes, as: UTF8.self))
    }

    /// `-?(0|[1-9][0-9]*)` within Int's range, except `-0` (whose text `String(Int)` cannot
    /// reproduce); nil otherwise.
    static func canonicalInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        let negative = n > 0 && bytes[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < n, n - i <= 19 else { return nil }
        if bytes[i] == UInt8(ascii: "0") && (n - i > 1 || negative) { return nil }
        // Accumulate negatively so Int.min is reachable.
        var value = 0
        while i < n {
            let digit = bytes[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int(digit))
            if o1 || o2 { return nil }
            value = next
            i += 1
        }
        if negative { return value }
        let (positive, overflow) = (0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }

    /// The exact integer value of a valid literal such as `12.50e1`, or nil when it has a
    /// fractional part or does not fit in Int.
    static func exactInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var i = 0
        let n = bytes.count
        let negative = n > 0 && bytes[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        // Significant digits (integer and fraction parts) and the power of ten they are scaled by.
        var digits: [UInt8] = []
        var scale = 0
        while i < n && isDigit(bytes[i]) {
            digits.append(bytes[i] &- UInt8(ascii: "0"))
            i += 1
        }
        if i < n && bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < n && isDigit(bytes[i]) {
                digits.append(bytes[i] &- UInt8(ascii: "0"))
                scale -= 1
                i += 1
            }
        }
        if i < n && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var exponentNegative = false
            if i < n && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
                exponentNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var exponent = 0
            while i < n && isDigit(bytes[i]) {
                // Saturate: anything past a few hundred decides the answer already.
                exponent = min(exponent * 10 + Int(bytes[i] &- UInt8(ascii: "0")), 1_000_000)
                i += 1
            }
            scale += exponentNegative ? -exponent : exponent
        }
        // Drop leading zeros, then trailing zeros into the scale.
        let firstNonZero = digits.firstIndex(where: { $0 != 0 }) ?? digits.count
        if firstNonZero == digits.count { return 0 }
        var significant = digits[firstNonZero...]
        while let last = significant.last, last == 0 {
            significant.removeLast()
            scale += 1
        }
        guard scale >= 0, significant.count + scale <= 19 else { return nil }
        var value = 0
        for digit in significant {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = times10.subtractingReportingOverflow(Int(digit))
            if o1 || o2 { return nil }
            value = next
        }
        for _ in 0..<scale {
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = times10
        }
        if negative { return value }
        let (positive, overflow) = (0).subtractingReportingOverflow(value)
        return overflow ? nil : positive
    }
}
