// A Blender release number. Blender names its versions major.minor.patch ("4.4.0"); its own
// version string may carry a suffix ("4.2.3 LTS", "4.5.0 Alpha"), which we keep out of the
// ordering: an LTS build is the same version for every requirement a script can have.

public struct BlenderVersion: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int = 0) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Parses "4.4.0", "4.4" (patch 0), "3.4.1 LTS", "Blender 4.4.0" (what `blender --version`
    /// prints first), "4.4.0-alpha". nil for anything without a numeric major.minor.
    public init?(_ text: String) {
        var words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        if words.first?.lowercased() == "blender" { words.removeFirst() }
        guard let word = words.first,
              let components = Self.numericComponents(word),
              components.count >= 2, components.count <= 3
        else { return nil }
        self.init(components[0], components[1], components.count == 3 ? components[2] : 0)
    }

    /// `bpy.app.version` as JSON gives it: `[4, 4, 0]`.
    public init?(tuple: [Int]) {
        guard tuple.count >= 2, tuple.count <= 3, tuple.allSatisfy({ $0 >= 0 }) else { return nil }
        self.init(tuple[0], tuple[1], tuple.count == 3 ? tuple[2] : 0)
    }

    /// "4.4.0" → [4, 4, 0]; a trailing non-numeric part after '-' or '+' is dropped
    /// ("4.5.0-alpha"). nil when any dotted part is not a plain non-negative number.
    static func numericComponents(_ word: String) -> [Int]? {
        let core = word.split(maxSplits: 1, omittingEmptySubsequences: false,
                              whereSeparator: { $0 == "-" || $0 == "+" }).first.map(String.init) ?? word
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 6, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let number = Int(part)
            else { return nil }
            numbers.append(number)
        }
        return numbers
    }

    public static func < (lhs: BlenderVersion, rhs: BlenderVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }

    /// Encoded as the string "4.4.0": that is how the protocol spells a version everywhere.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let version = BlenderVersion(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is not a Blender version like \"4.4.0\"")
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
