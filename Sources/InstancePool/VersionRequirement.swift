// Which Blender versions a session accepts: `session.open {requirements: {blender: ">=4.2"}}`.
//
// Grammar: a comma-separated conjunction of clauses; each clause is an optional comparator
// (`>=`, `>`, `<=`, `<`, `==`, `=`) and a version of one to three numbers, or `*` (anything).
// Partial versions follow npm's semver "X-ranges", because that is what people mean by them:
//   `4.4`   = `==4.4` = 4.4.x          → [4.4.0, 4.5.0)
//   `4`     = 4.x.x                    → [4.0.0, 5.0.0)
//   `>4.4`  = above the whole 4.4 line → [4.5.0, ∞)        (4.4.1 does not satisfy it)
//   `<=4.4` = up to the whole 4.4 line → (-∞, 4.5.0)       (4.4.9 satisfies it)
//   `>=4.2`, `<4` pad with zeros       → [4.2.0, ∞), (-∞, 4.0.0)
// `4.x` / `4.4.*` are accepted as spellings of the partial versions.

public struct VersionRequirement: Sendable, Equatable, CustomStringConvertible {
    /// One side of an interval.
    struct Bound: Sendable, Equatable {
        var version: BlenderVersion
        var inclusive: Bool
    }

    /// An interval; nil sides are unbounded.
    struct Interval: Sendable, Equatable {
        var lower: Bound?
        var upper: Bound?

        func contains(_ version: BlenderVersion) -> Bool {
            if let lower {
                if lower.inclusive ? version < lower.version : version <= lower.version { return false }
            }
            if let upper {
                if upper.inclusive ? version > upper.version : version >= upper.version { return false }
            }
            return true
        }

        func intersection(_ other: Interval) -> Interval {
            Interval(lower: Self.tighter(lower, other.lower, keepHigher: true),
                     upper: Self.tighter(upper, other.upper, keepHigher: false))
        }

        /// The more restrictive of two bounds on the same side.
        private static func tighter(_ a: Bound?, _ b: Bound?, keepHigher: Bool) -> Bound? {
            guard let a else { return b }
            guard let b else { return a }
            if a.version == b.version { return Bound(version: a.version, inclusive: a.inclusive && b.inclusive) }
            return (a.version > b.version) == keepHigher ? a : b
        }
    }

    /// The text it was parsed from, trimmed (what error data echoes back to the client).
    public let text: String
    /// The clauses' intersection: a conjunction of intervals is one interval.
    let interval: Interval

    /// Any version (`*`).
    public static let any = VersionRequirement(text: "*", interval: Interval(lower: nil, upper: nil))

    private init(text: String, interval: Interval) {
        self.text = text
        self.interval = interval
    }

    public init(parsing text: String) throws(RequirementError) {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else {
            self = .any
            return
        }
        var intervals: [Interval] = []
        let clauses = trimmed.split(separator: ",", omittingEmptySubsequences: false)
        for clause in clauses {
            let clauseText = String(clause).trimmingSpaces
            guard !clauseText.isEmpty else {
                throw RequirementError(.emptyClause, requirement: trimmed,
                                       "empty clause: write clauses separated by single commas, e.g. \">=3.4,<4.5\"")
            }
            // A wildcard clause ("*", "x") constrains nothing.
            if let interval = try Self.parseClause(clauseText, in: trimmed) { intervals.append(interval) }
        }
        self.init(text: trimmed, interval: intervals.reduce(Interval(lower: nil, upper: nil)) { $0.intersection($1) })
    }

    public func matches(_ version: BlenderVersion) -> Bool {
        interval.contains(version)
    }

    /// True for `*` (and `*,*`): every version matches.
    public var isAny: Bool { interval.lower == nil && interval.upper == nil }

    public var description: String { text }

    /// Equal when they accept the same versions, whatever the spelling (">=4.4,<4.5" == "4.4").
    public static func == (lhs: VersionRequirement, rhs: VersionRequirement) -> Bool {
        lhs.interval == rhs.interval
    }

    // MARK: Parsing

    private enum Comparator: String, CaseIterable {
        // Longest first, so ">=" is not read as ">" followed by "=4.2".
        case greaterOrEqual = ">=", lessOrEqual = "<=", equalEqual = "==", greater = ">", less = "<", equal = "="
    }

    private static func parseClause(_ clause: String, in requirement: String) throws(RequirementError) -> Interval? {
        var comparator: Comparator?
        var rest = Substring(clause)
        for candidate in Comparator.allCases where rest.hasPrefix(candidate.rawValue) {
            comparator = candidate
            rest = rest.dropFirst(candidate.rawValue.count)
            break
        }
        let versionText = String(rest).trimmingSpaces
        guard !versionText.isEmpty else {
            throw RequirementError(.missingVersion, requirement: requirement,
                                   "\"\(clause)\" has a comparator but no version: write e.g. \">=4.2\"")
        }
        let components = try parseComponents(versionText, clause: clause, in: requirement)
        if components.isEmpty {
            // "*", "x": any version; only meaningful without a comparator.
            guard comparator == nil || comparator == .equal || comparator == .equalEqual else {
                throw RequirementError(.invalidVersion, requirement: requirement,
                                       "\"\(clause)\" compares with a wildcard: drop the clause or give a version")
            }
            return nil
        }
        let floor = BlenderVersion(components[0], components.count > 1 ? components[1] : 0,
                                   components.count > 2 ? components[2] : 0)
        let isFull = components.count == 3
        // The first version after the series a partial version names (4.4 → 4.5.0, 4 → 5.0.0).
        let next = components.count == 1
            ? BlenderVersion(components[0] + 1, 0, 0)
            : BlenderVersion(components[0], components[1] + 1, 0)

        switch comparator {
        case nil, .equal?, .equalEqual?:
            if isFull {
                return Interval(lower: Bound(version: floor, inclusive: true), upper: Bound(version: floor, inclusive: true))
            }
            return Interval(lower: Bound(version: floor, inclusive: true), upper: Bound(version: next, inclusive: false))
        case .greaterOrEqual?:
            return Interval(lower: Bound(version: floor, inclusive: true), upper: nil)
        case .greater?:
            return isFull
                ? Interval(lower: Bound(version: floor, inclusive: false), upper: nil)
                : Interval(lower: Bound(version: next, inclusive: true), upper: nil)
        case .less?:
            return Interval(lower: nil, upper: Bound(version: floor, inclusive: false))
        case .lessOrEqual?:
            return isFull
                ? Interval(lower: nil, upper: Bound(version: floor, inclusive: true))
                : Interval(lower: nil, upper: Bound(version: next, inclusive: false))
        }
    }

    /// "4.4.1" → [4,4,1]; "4.x" / "4.4.*" → [4] / [4,4]; "*" / "x" → [].
    private static func parseComponents(_ text: String, clause: String, in requirement: String) throws(RequirementError) -> [Int] {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var numbers: [Int] = []
        var sawWildcard = false
        for part in parts {
            if part == "*" || part == "x" || part == "X" {
                sawWildcard = true
                continue
            }
            guard !sawWildcard, !part.isEmpty, part.count <= 6, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(part)
            else {
                throw RequirementError(.invalidVersion, requirement: requirement,
                                       "\"\(clause)\": \"\(text)\" is not a version: use up to three numbers like 4.4 or 4.4.1")
            }
            numbers.append(number)
        }
        guard parts.count <= 3 else {
            throw RequirementError(.invalidVersion, requirement: requirement,
                                   "\"\(clause)\": a Blender version has at most three parts (major.minor.patch)")
        }
        return numbers
    }
}

/// Why a version requirement could not be read, with how to write it instead.
public struct RequirementError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable { case emptyClause, missingVersion, invalidVersion }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        public static let emptyClause = Code(.emptyClause)
        public static let missingVersion = Code(.missingVersion)
        public static let invalidVersion = Code(.invalidVersion)

        public var description: String {
            switch base {
            case .emptyClause: "emptyClause"
            case .missingVersion: "missingVersion"
            case .invalidVersion: "invalidVersion"
            }
        }
    }

    public let code: Code
    /// The whole requirement as given.
    public let requirement: String
    /// What is wrong and how to write it (fit for an LLM to act on).
    public let message: String

    init(_ code: Code, requirement: String, _ message: String) {
        self.code = code
        self.requirement = requirement
        self.message = message
    }

    public var description: String { "version requirement \"\(requirement)\": \(message)" }
}

extension String {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
