// What each instance and launcher can do, whether a request can ever be served, and the errors
// that say so in a form a program (or an LLM) can act on.

import JSONRPC

enum Feasibility {
    /// Some instance or launcher can serve it (now or once one is free).
    case possible
    /// Not yet known: a launcher probe or GPU detection is still running.
    case pending
    /// Nothing configured or attached can ever serve it.
    case never(String)
}

extension InstancePool {
    func capabilities(of instance: Instance) -> Capabilities {
        let launcherVersion: BlenderVersion? = instance.launcherIndex.flatMap {
            if case .available(let version) = launcherStatuses[$0] { return version }
            return nil
        }
        return Capabilities(
            instanceID: instance.id,
            version: instance.info?.blender.version ?? launcherVersion,
            headless: instance.headless,
            engines: instance.info?.engines ?? instance.launcherIndex.flatMap { launcherFacts[$0].engines },
            hasGPU: instance.gpu != nil)
    }

    /// What a new worker of launcher `index` (probed at `version`) would offer.
    func capabilities(ofLauncher index: Int, version: BlenderVersion) -> Capabilities {
        Capabilities(instanceID: nil, version: version, headless: true, engines: launcherFacts[index].engines,
                     hasGPU: !gpuAssignment.devices.isEmpty)
    }

    func feasibility(of requirements: Requirements) -> Feasibility {
        let live = instances.filter { $0.state == .starting || $0.state == .ready || $0.state == .busy }
        if live.contains(where: { capabilities(of: $0).satisfies(requirements) }) { return .possible }
        if let wanted = requirements.instance {
            return .never("no live instance \(wanted) meets the other requirements")
        }
        var pending = false
        for (index, status) in launcherStatuses.enumerated() {
            switch status {
            case .probing:
                pending = true
            case .available(let version):
                if capabilities(ofLauncher: index, version: version).satisfies(requirements) { return .possible }
            case .unavailable:
                continue
            }
        }
        if requirements.device == .gpu, gpuDetectionPending { pending = true }
        if pending { return .pending }
        return .never(explain(requirements))
    }

    /// The first available launcher whose workers would fit `requirements`.
    func launcherIndex(for requirements: Requirements) -> Int? {
        guard requirements.instance == nil else { return nil }
        return launcherStatuses.indices.first { index in
            guard case .available(let version) = launcherStatuses[index] else { return false }
            return capabilities(ofLauncher: index, version: version).satisfies(requirements)
        }
    }

    /// Names the requirement that nothing meets, for the error message.
    private func explain(_ requirements: Requirements) -> String {
        let versions = launcherStatuses.compactMap { status -> BlenderVersion? in
            if case .available(let version) = status { return version }
            return nil
        } + instances.compactMap { $0.info?.blender.version }
        if versions.isEmpty {
            return "no Blender is available: every launcher failed its probe (see the daemon log) and no GUI is attached"
        }
        if let wanted = requirements.blender, !versions.contains(where: wanted.matches) {
            let offered = Set(versions.map(\.description)).sorted().joined(separator: ", ")
            return "no Blender matching \"\(wanted.text)\" (available: \(offered))"
        }
        if requirements.headless == false, !instances.contains(where: { !$0.headless }) {
            return "headless: false needs a GUI Blender attached through the add-on, and none is"
        }
        if requirements.device == .gpu, gpuAssignment.devices.isEmpty {
            return "device: gpu, but this daemon has no GPUs (--gpus, nvidia-smi)"
        }
        if let engine = requirements.engine {
            return "no Blender that matches the other requirements offers engine \(engine)"
        }
        return "no instance or launcher meets these requirements"
    }

    /// What the pool can offer, for -32002's `data.available`.
    var availableDescriptions: [JSONValue] {
        var entries: [JSONValue] = []
        for (index, status) in launcherStatuses.enumerated() {
            guard case .available(let version) = status else { continue }
            let facts = launcherFacts[index]
            entries.append([
                "kind": .string(configuration.launchers[index].kind.rawValue),
                "blender": .string(version.description),
                "engines": .array((facts.engines ?? []).map { .string($0) }),
                "devices": .array(facts.devices.map { ["type": .string($0.type), "name": .string($0.name)] }
                    + gpuAssignment.devices.map { ["type": .string($0.type), "name": .string($0.name), "index": .number(JSONNumber($0.index))] }),
                "headless": true,
            ])
        }
        for instance in instances where instance.kind == .gui {
            guard let info = instance.info else { continue }
            entries.append([
                "kind": "gui",
                "instance": .string(instance.id),
                "blender": .string(info.blender.version.description),
                "engines": .array(info.engines.map { .string($0) }),
                "devices": .array(info.devices.map { ["type": .string($0.type), "name": .string($0.name)] }),
                "headless": .bool(info.headless),
            ])
        }
        return entries
    }

    // MARK: Errors

    /// -32002 with `{requirements, available, reason}`.
    public func noInstanceError(_ requirements: Requirements, reason: String) -> RPCError {
        RPCError(code: .noInstance, message: "No instance available: \(reason)", data: [
            "requirements": requirements.json,
            "available": .array(availableDescriptions),
            "reason": .string(reason),
        ])
    }

    /// -32029 with `{reason, retry_after}`: `retry_after` (seconds) estimates when a slot frees:
    /// the mean lease length times the rounds the queue needs over the instance slots.
    func overloadedError(reason: String, message: String) -> RPCError {
        let lease = statistics.averageLeaseSeconds ?? 5
        let slots = max(1, configuration.maxInstances)
        let rounds = Double(queue.count / slots + 1)
        let retryAfter = Int(min(300, max(1, (lease * rounds).rounded(.up))))
        return RPCError(code: .overloaded, message: "Overloaded: \(message)", data: [
            "reason": .string(reason),
            "retry_after": .number(JSONNumber(retryAfter)),
            "queued": .number(JSONNumber(queue.count)),
        ])
    }

    /// What a request still waiting for an instance gets when the daemon shuts down: it was
    /// cancelled (protocol/README.md, Lifecycle), not refused for its requirements.
    func shuttingDownError() -> RPCError {
        RPCError(code: .cancelled, data: ["reason": "shutdown"])
    }
}
