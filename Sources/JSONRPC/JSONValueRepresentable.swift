/// A result type that can say what JSON it is without `JSONValueEncoder`. The dispatcher uses
/// it when present: Codable's generic containers cost more than the rest of a small request's
/// path (parse, dispatch, serialize, write) together. Keep `jsonValue` equal to what the
/// Codable encoding would produce; a test checks it for each conforming type.
public protocol JSONValueRepresentable {
    var jsonValue: JSONValue { get }
}

extension JSONValue: JSONValueRepresentable {
    /// Results passed through as JSON (e.g. a worker's `script.exec` result) are already JSON.
    public var jsonValue: JSONValue { self }
}
