/// Params of a method that takes none: absent params or `{}`. Any member is refused
/// (`-32602`, `params.<name>`): an empty struct's synthesized decoding never opens a keyed
/// container, so it would accept anything, and a caller would never learn its option is unknown.
public struct NoParams: Codable, Sendable, Equatable {
    private enum NoKeys: CodingKey {}

    public init() {}

    public init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: NoKeys.self)
    }

    public func encode(to encoder: any Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
}
