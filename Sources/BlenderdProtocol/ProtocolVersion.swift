/// Versions of what blenderd speaks. `protocolVersion` changes when the wire contract in
/// `protocol/` changes incompatibly; `daemonVersion` is the release of this code.
public enum BlenderdVersion {
    public static let daemon = "0.1.0"
    public static let protocolVersion = "0.2"
}
