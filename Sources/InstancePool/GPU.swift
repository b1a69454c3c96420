// GPUs and how instances get them: `blenderd --gpus auto|none|0,1,…`.
//
// Each GPU instance gets exactly one device, pinned through the environment before Blender starts
// (CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES = its index, so the driver shows that device only),
// and the worker enables exactly that device in Cycles' preferences (BLENDERD_GPU_INDEX /
// BLENDERD_GPU_TYPE, read by addon/blenderd/methods/lifecycle.py). Two instances never share a
// device: one render saturates a GPU's memory and compute, and sharing only makes both slower.

/// A compute device an instance can be pinned to.
public struct GPUDevice: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The driver's device index (what CUDA_VISIBLE_DEVICES takes).
    public var index: Int
    /// Cycles' device type: "CUDA", "OPTIX", "HIP", "ONEAPI", "METAL".
    public var type: String
    /// Human name, e.g. "NVIDIA A100-SXM4-40GB".
    public var name: String

    public init(index: Int, type: String, name: String) {
        self.index = index
        self.type = type
        self.name = name
    }

    public var description: String { "\(type) \(index) (\(name))" }

    /// The variables that pin a worker to this device.
    public var environment: [String: String] {
        [
            "CUDA_VISIBLE_DEVICES": String(index),
            "HIP_VISIBLE_DEVICES": String(index),
            "BLENDERD_GPU_INDEX": String(index),
            "BLENDERD_GPU_TYPE": type,
        ]
    }
}

/// `--gpus`: which devices the pool may hand out.
public enum GPUPolicy: Sendable, Equatable {
    /// CPU only, even where GPUs exist.
    case none
    /// Whatever `nvidia-smi -L` lists at start (nothing when it is absent).
    case auto
    /// These device indices, as given (`--gpus 0,2`). Their names come from detection when it
    /// finds them, else they are listed as "CUDA <i>".
    case indices([Int])

    /// Parses the `--gpus` value: "auto", "none", or comma-separated indices.
    public init?(argument: String) {
        let text = argument.trimmingSpaces.lowercased()
        switch text {
        case "auto": self = .auto
        case "none", "": self = .none
        default:
            var indices: [Int] = []
            for part in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let index = Int(String(part).trimmingSpaces), index >= 0, !indices.contains(index) else { return nil }
                indices.append(index)
            }
            self = .indices(indices)
        }
    }
}

/// What to do with an instance when every device is taken.
public enum GPUOverflow: Sendable, Equatable {
    /// Start it without a GPU (a CPU instance). Default: the pool keeps serving CPU work.
    case cpu
    /// Only for `device: gpu` requests, which then wait in the queue for a device to come free.
    case wait
}

/// Which instance holds which device: pure bookkeeping, tested without any GPU (this machine has
/// none; see GPUAssignmentTests, which use a simulated device list).
///
/// Invariants: a device is held by at most one instance; an instance holds at most one device.
public struct GPUAssignment: Sendable, Equatable {
    public private(set) var devices: [GPUDevice]
    /// instance id → the device it holds.
    public private(set) var holders: [String: GPUDevice] = [:]

    public init(devices: [GPUDevice]) {
        // Duplicate indices would let two instances share one physical device.
        var seen = Set<Int>()
        self.devices = devices.filter { seen.insert($0.index).inserted }
    }

    public var freeDevices: [GPUDevice] {
        let taken = Set(holders.values.map(\.index))
        return devices.filter { !taken.contains($0.index) }
    }

    public var hasFreeDevice: Bool { holders.count < devices.count }

    public func device(of instance: String) -> GPUDevice? { holders[instance] }

    /// Gives `instance` a free device (the lowest index), or nil when all are taken. An instance
    /// that already holds one keeps it.
    public mutating func assign(to instance: String) -> GPUDevice? {
        if let held = holders[instance] { return held }
        guard let device = freeDevices.first else { return nil }
        holders[instance] = device
        return device
    }

    /// The instance is gone (or runs without its device): its device is free again.
    public mutating func release(_ instance: String) {
        holders[instance] = nil
    }
}

/// Reads `nvidia-smi -L` output: `GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-…)`.
public enum NvidiaSMI {
    public static func parseList(_ output: String) -> [GPUDevice] {
        var devices: [GPUDevice] = []
        for line in output.split(whereSeparator: \.isNewline) {
            let text = String(line).trimmingSpaces
            guard text.hasPrefix("GPU "), let colon = text.firstIndex(of: ":") else { continue }
            guard let index = Int(String(text[text.index(text.startIndex, offsetBy: 4)..<colon]).trimmingSpaces) else { continue }
            var name = String(text[text.index(after: colon)...]).trimmingSpaces
            if let uuid = name.range(of: " (UUID:") { name = String(name[..<uuid.lowerBound]) }
            devices.append(GPUDevice(index: index, type: "CUDA", name: name))
        }
        return devices
    }
}

/// Where a new instance runs.
public enum GPUPlacement: Sendable, Equatable {
    case device(GPUDevice)
    case cpu
    /// No device is free and this instance must have one: don't start it now.
    case wait
}

extension GPUAssignment {
    /// Decides where a new instance started for `device` runs, taking its device:
    /// - `gpu`: a free device, else `wait` (GPU work never silently runs on a CPU instance);
    /// - `cpu`: no device when overflow is `cpu` (devices stay free for GPU work); with overflow
    ///   `wait` every instance is pinned, so a free device or `wait`;
    /// - `auto` (and warm spares): a free device, else `cpu` or `wait` per `overflow`.
    /// Without any device everything runs on the CPU (and `gpu` requests are refused earlier).
    public mutating func place(_ instance: String, for device: Requirements.Device, overflow: GPUOverflow) -> GPUPlacement {
        guard !devices.isEmpty else { return device == .gpu ? .wait : .cpu }
        if device == .cpu, overflow == .cpu { return .cpu }
        if let assigned = assign(to: instance) { return .device(assigned) }
        return device == .gpu || overflow == .wait ? .wait : .cpu
    }

    /// Takes a device out of service (its worker could not enable it): never assigned again.
    public mutating func retire(index: Int) {
        devices.removeAll { $0.index == index }
        holders = holders.filter { $0.value.index != index }
    }
}
