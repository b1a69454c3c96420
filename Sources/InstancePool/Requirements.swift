// What a session needs from an instance (`session.open {requirements}`), and whether an instance
// or a launcher can provide it.

import JSONRPC

public struct Requirements: Sendable, Equatable {
    public enum Device: String, Codable, Sendable, CaseIterable {
        /// Any instance; a CPU-only one is preferred so GPUs stay free for GPU work.
        case cpu
        /// An instance pinned to a GPU whose worker enabled it in Cycles.
        case gpu
        /// Any instance, a GPU one preferred.
        case auto
    }

    public var device: Device
    /// nil: either. Spawned instances are headless; only attached GUIs are not.
    public var headless: Bool?
    /// nil: any version.
    public var blender: VersionRequirement?
    /// A render engine identifier the instance must accept (`CYCLES`, `BLENDER_EEVEE_NEXT`, …).
    public var engine: String?
    /// One particular instance (e.g. an attached GUI the user picked); nil: any.
    public var instance: String?

    public init(device: Device = .auto, headless: Bool? = nil, blender: VersionRequirement? = nil,
                engine: String? = nil, instance: String? = nil) {
        self.device = device
        self.headless = headless
        self.blender = blender
        self.engine = engine
        self.instance = instance
    }

    /// As the client wrote them, for error data.
    public var json: JSONValue {
        var members: [String: JSONValue] = ["device": .string(device.rawValue)]
        if let headless { members["headless"] = .bool(headless) }
        if let blender { members["blender"] = .string(blender.text) }
        if let engine { members["engine"] = .string(engine) }
        if let instance { members["instance"] = .string(instance) }
        return .object(members)
    }
}

/// What is known about what an instance, or the instances a launcher would start, can do.
struct Capabilities {
    var instanceID: String?
    var version: BlenderVersion?
    var headless: Bool
    /// nil: not known yet (no worker of this launcher has been ready).
    var engines: [String]?
    /// Pinned to a GPU it enabled (instances), or able to get one (launchers).
    var hasGPU: Bool

    /// Whether `requirements` can be met. Unknown facts (engines before any worker reported them)
    /// count as a match: a worker will tell, and the pool re-checks then.
    func satisfies(_ requirements: Requirements) -> Bool {
        if let wanted = requirements.instance, wanted != instanceID { return false }
        if let headless = requirements.headless, headless != self.headless { return false }
        if let wanted = requirements.blender {
            guard let version, wanted.matches(version) else { return false }
        }
        if let engine = requirements.engine, let engines, !engines.contains(engine) { return false }
        if requirements.device == .gpu, !hasGPU { return false }
        return true
    }
}
