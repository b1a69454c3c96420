// Leasing: acquire, the fair wait queue, release with reset or recycle, and `pump`, the one
// place that matches idle instances to waiters and decides what to spawn or evict.
//
// Everything that changes what can be served (a worker ready, a release, a death, a probe result)
// calls `pump`. It is re-entrancy safe: completions it collects run after its bookkeeping, and a
// pump requested meanwhile runs again before it returns.

import JSONRPC
import UVCore

struct Waiter {
    let number: Int
    let requirements: Requirements
    let owner: String
    let client: Int
    let enqueuedAtMilliseconds: UInt64
    let completion: (Result<Instance, RPCError>) -> Void
}

extension InstancePool {
    // MARK: Acquire

    /// Leases an instance that fits `requirements` to `owner` (a session id) on behalf of
    /// `client` (a connection id, the unit of fairness).
    ///
    /// - An idle ready instance that fits is leased at once (the completion runs before
    ///   `acquire` returns).
    /// - Else the request waits in a queue served round robin across clients, while the pool
    ///   spawns a fitting instance if it is under `maxInstances` (or evicts an idle one that fits
    ///   nobody waiting). Full queue (per client or in total) → -32029
    ///   `{reason: "queue_full", retry_after}`.
    /// - Requirements nothing can ever meet (no launcher of that version, `gpu` without GPUs, an
    ///   engine the launchers' workers lack, `headless: false` with no GUI attached) → -32002
    ///   `{requirements, available: [{kind, blender, engines, devices, headless}]}`. Requests
    ///   made while launcher probes run wait for them before being judged.
    /// The leased instance is `busy`; give it back with `release`.
    public func acquire(_ requirements: Requirements, owner: String, client: Int,
                        _ completion: @escaping (Result<Instance, RPCError>) -> Void) {
        guard !isShuttingDown else { return completion(.failure(shuttingDownError())) }
        if let instance = bestIdleInstance(for: requirements) {
            lease(instance, owner: owner, client: client)
            return completion(.success(instance))
        }
        if case .never(let reason) = feasibility(of: requirements) {
            return completion(.failure(noInstanceError(requirements, reason: reason)))
        }
        if queue.count >= configuration.queueLimit || queue.count(client: client) >= configuration.queueLimitPerClient {
            statistics.rejectedQueueFull += 1
            let mine = queue.count(client: client)
            let message = mine >= configuration.queueLimitPerClient
                ? "this client already has \(mine) requests waiting for an instance (limit \(configuration.queueLimitPerClient))"
                : "\(queue.count) requests are waiting for an instance (limit \(configuration.queueLimit))"
            return completion(.failure(overloadedError(reason: "queue_full", message: message)))
        }
        enqueue(requirements, owner: owner, client: client, completion)
    }

    /// Puts a request in the fair queue and lets the pool serve or spawn for it.
    private func enqueue(_ requirements: Requirements, owner: String, client: Int,
                         _ completion: @escaping (Result<Instance, RPCError>) -> Void) {
        statistics.queued += 1
        queue.append(Waiter(number: nextWaiterNumber, requirements: requirements, owner: owner, client: client,
                            enqueuedAtMilliseconds: loop.nowMilliseconds, completion: completion), client: client)
        nextWaiterNumber += 1
        pump()
        armQueueTimer()
    }

    /// Leases an instance for work that can do without one (render.views' `parallel` helpers):
    /// an idle one that fits, at once; or, when no request waits and the pool has room (under
    /// `maxInstances`, or a fitting instance already starting), the next one that gets ready.
    /// Returns false without calling `completion` when neither: the caller goes on without, and
    /// never waits behind other clients. `withdrawWaiting(owner:)` takes back a waiting one.
    @discardableResult
    public func acquireIfFree(_ requirements: Requirements, owner: String, client: Int,
                              _ completion: @escaping (Result<Instance, RPCError>) -> Void) -> Bool {
        guard !isShuttingDown else { return false }
        if let instance = bestIdleInstance(for: requirements) {
            lease(instance, owner: owner, client: client)
            completion(.success(instance))
            return true
        }
        guard queue.isEmpty, case .possible = feasibility(of: requirements) else { return false }
        let startingFits = instances.contains { $0.state == .starting && capabilities(of: $0).satisfies(requirements) }
        guard startingFits || (spawnedCount < configuration.maxInstances && launcherIndex(for: requirements) != nil) else { return false }
        enqueue(requirements, owner: owner, client: client, completion)
        return true
    }

    /// Takes back `owner`'s waiting acquires (its work no longer needs them): each is completed
    /// with -32006 `{reason: "withdrawn"}`. Returns how many there were.
    @discardableResult
    public func withdrawWaiting(owner: String) -> Int {
        let dropped = queue.removeAll { $0.owner == owner }
        for waiter in dropped {
            waiter.completion(.failure(RPCError(code: .cancelled, message: "Cancelled: no longer needed", data: ["reason": "withdrawn"])))
        }
        if queue.isEmpty {
            queueTimer?.stop()
            pump()  // the warm spares it held back
        }
        return dropped.count
    }

    /// A client went away: its waiting acquires are dropped, each completed with -32006
    /// (`reason: "client_left"`) so per-request state can be cleaned up.
    public func cancelWaiting(client: Int) {
        let dropped = queue.remove(client: client)
        for waiter in dropped {
            waiter.completion(.failure(RPCError(code: .cancelled, message: "Cancelled: the client disconnected",
                                                data: ["reason": "client_left"])))
        }
    }

    /// Acquires waiting now.
    public var waitingCount: Int { queue.count }

    // MARK: Release

    /// Gives a leased instance back. A headless one is reset (`worker.reset`, timed) and
    /// becomes ready for the next waiter; after `recycleAfterJobs` jobs or above
    /// `recycleAboveRSSBytes` it is stopped and replaced instead; a failed reset recycles it
    /// too. An attached GUI is never reset. Releasing a dead or dying instance just ends the
    /// lease (the pool replaces it anyway).
    public func release(_ instance: Instance) {
        guard instance.lease != nil else {
            logger.warning("release of an instance that is not leased", metadata: ["instance": "\(instance.id)"])
            return
        }
        let seconds = Double(EventLoop.hrtimeNanoseconds() &- instance.leasedAtNanoseconds) / 1e9
        statistics.recordLease(seconds: seconds)
        instance.lease = nil
        instance.leaseClient = nil
        guard instance.state == .busy, instance.isUsable, !isShuttingDown else { return pump() }
        if instance.kind == .gui {
            instance.setState(.ready)
            return pump()
        }
        if let reason = recycleReason(instance) {
            recycle(instance, reason: reason)
            return
        }
        guard configuration.reuseInstances else {
            // One process per lease: nothing the last session's scripts left behind can reach the next.
            recycle(instance, reason: "its session ended (a fresh process for every session)")
            return
        }
        if let workspace = instance.workspace {
            // The next session must not see this one's files.
            do { try Workspace.empty(workspace) } catch {
                recycle(instance, reason: "cannot empty its workspace: \(error)")
                return
            }
        }
        let started = EventLoop.hrtimeNanoseconds()
        instance.perform("worker.reset", timeoutMilliseconds: configuration.resetTimeoutMilliseconds) { [weak self, instance] result in
            guard let self else { return }
            switch result {
            case .success(let value):
                let roundTrip = Double(EventLoop.hrtimeNanoseconds() &- started) / 1e6
                instance.lastResetMilliseconds = roundTrip
                instance.lastResetWorkerMilliseconds = value["duration_ms"]?.doubleValue
                statistics.resets += 1
                statistics.totalResetMilliseconds += roundTrip
                statistics.lastResetMilliseconds = roundTrip
                statistics.lastWorkerResetMilliseconds = instance.lastResetWorkerMilliseconds
                guard instance.state == .busy, instance.lease == nil else { return }
                instance.setState(.ready)
                pump()
            case .failure(let error):
                // A crash or timeout already ends the instance; anything else leaves a scene we
                // cannot vouch for.
                guard error.code != .instanceCrashed, error.code != .timeout else { return }
                logger.error("worker.reset failed: \(error)", metadata: ["instance": "\(instance.id)"])
                recycle(instance, reason: "worker.reset failed: \(error.message)")
            }
        }
    }

    private func recycleReason(_ instance: Instance) -> String? {
        if let limit = configuration.recycleAfterJobs, instance.jobs >= limit {
            return "served \(instance.jobs) jobs (recycle after \(limit))"
        }
        if let limit = configuration.recycleAboveRSSBytes, let rss = instance.rssBytes, rss > limit {
            return "RSS \(rss >> 20) MiB is above \(limit >> 20) MiB"
        }
        return nil
    }

    func recycle(_ instance: Instance, reason: String) {
        statistics.recycled += 1
        instance.stop(as: .recycling, reason: "recycling: \(reason)", shutdownTimeout: configuration.shutdownTimeoutMilliseconds,
                      terminateGrace: configuration.terminateGraceMilliseconds)
        pump()
    }

    // MARK: Matching

    func lease(_ instance: Instance, owner: String, client: Int) {
        instance.lease = owner
        instance.leaseClient = client
        instance.leasedAtNanoseconds = EventLoop.hrtimeNanoseconds()
        statistics.leases += 1
        instance.setState(.busy)
    }

    /// Idle, ready, talking, and not on its way out.
    func isLeasable(_ instance: Instance) -> Bool {
        instance.state == .ready && instance.lease == nil && instance.isUsable && !evicting.contains(instance.id)
    }

    /// The idle instance to lease for `requirements`: CPU work prefers instances without a GPU
    /// (keeping devices free for GPU work), `auto` prefers one with a GPU.
    func bestIdleInstance(for requirements: Requirements) -> Instance? {
        let fitting = instances.filter { isLeasable($0) && capabilities(of: $0).satisfies(requirements) }
        switch requirements.device {
        case .cpu: return fitting.first { $0.gpu == nil } ?? fitting.first
        case .auto: return fitting.first { $0.gpu != nil } ?? fitting.first
        case .gpu: return fitting.first
        }
    }

    /// Matches idle instances to waiters, drops waiters that can no longer be served, spawns or
    /// evicts for the rest, and keeps the warm spares.
    func pump() {
        if isPumping {
            pumpRequested = true
            return
        }
        isPumping = true
        var deliveries: [() -> Void] = []
        repeat {
            pumpRequested = false
            pumpOnce(&deliveries)
        } while pumpRequested
        isPumping = false
        for delivery in deliveries { delivery() }
    }

    private func pumpOnce(_ deliveries: inout [() -> Void]) {
        guard isStarted, !isShuttingDown else { return }
        // 1. Waiters nothing can serve any more (a probe failed, engines became known).
        for waiter in queue.removeAll(where: { if case .never = feasibility(of: $0.requirements) { true } else { false } }) {
            guard case .never(let reason) = feasibility(of: waiter.requirements) else { continue }
            let error = noInstanceError(waiter.requirements, reason: reason)
            deliveries.append { waiter.completion(.failure(error)) }
        }
        // 2. Idle instances to waiters, in fair order.
        for instance in instances where isLeasable(instance) {
            let capabilities = capabilities(of: instance)
            guard let waiter = queue.popNext(where: { capabilities.satisfies($0.requirements) }) else { continue }
            lease(instance, owner: waiter.owner, client: waiter.client)
            deliveries.append { waiter.completion(.success(instance)) }
        }
        // 3. Capacity for the waiters left: a starting instance that will fit, a new spawn, or
        //    room made by evicting an idle instance that fits nobody waiting.
        var starting = instances.filter { $0.state == .starting }
        var freedSlots = evicting.count
        for waiter in queue.inServiceOrder {
            if let index = starting.firstIndex(where: { capabilities(of: $0).satisfies(waiter.requirements) }) {
                starting.remove(at: index)
                continue
            }
            guard let launcherIndex = launcherIndex(for: waiter.requirements) else { continue }
            if spawnedCount < configuration.maxInstances {
                startInstance(launcherIndex: launcherIndex, device: waiter.requirements.device)
                continue
            }
            if freedSlots > 0 {
                freedSlots -= 1
                continue
            }
            if let victim = instances.first(where: { isLeasable($0) && $0.launcher != nil }) {
                evicting.insert(victim.id)
                victim.stop(as: .stopping, reason: "evicted to make room for a request it cannot serve (\(JSON.string(waiter.requirements.json)))",
                            shutdownTimeout: configuration.shutdownTimeoutMilliseconds,
                            terminateGrace: configuration.terminateGraceMilliseconds)
            }
        }
        // 4. Warm spares, only when nobody waits (waiters come first).
        if queue.isEmpty { keepWarm() }
        if queue.isEmpty { queueTimer?.stop() }
    }

    /// Keeps `warm` idle instances (ready or starting), spread over the launchers: with several,
    /// each gets a spare before any gets a second. Launchers still being probed keep their share
    /// (so the one whose probe finishes first does not take every slot); unavailable ones drop out.
    private func keepWarm() {
        guard configuration.warm > 0 else { return }
        let eligible = configuration.launchers.indices.filter {
            if case .unavailable = launcherStatuses[$0] { false } else { true }
        }
        guard !eligible.isEmpty else { return }
        let target = max(configuration.warm, eligible.count)
        func spares(_ index: Int) -> Int {
            instances.filter { $0.launcherIndex == index && ($0.state == .starting || isLeasable($0)) }.count
        }
        for (position, index) in eligible.enumerated() {
            guard case .available = launcherStatuses[index] else { continue }
            // This launcher's share of the target, the first launchers taking the remainder.
            let share = target / eligible.count + (position < target % eligible.count ? 1 : 0)
            var have = spares(index)
            while have < share, spawnedCount < configuration.maxInstances {
                guard startInstance(launcherIndex: index, device: .auto) != nil else { break }
                have += 1
            }
        }
    }

    // MARK: Queue timeout

    func armQueueTimer() {
        guard let timeout = configuration.queueTimeoutMilliseconds, !queue.isEmpty else { return }
        do {
            if queueTimer == nil { queueTimer = try UVCore.Timer(loop: loop) }
            guard queueTimer?.isActive == false else { return }
            let tick = max(10, min(250, timeout / 4))
            try queueTimer?.start(after: tick, repeat: tick) { [weak self] in self?.expireWaiters(olderThan: timeout) }
        } catch {
            logger.error("queue timeouts disabled: cannot start their timer: \(error)")
        }
    }

    private func expireWaiters(olderThan timeout: Int) {
        let now = loop.nowMilliseconds
        let expired = queue.removeAll { now &- $0.enqueuedAtMilliseconds >= UInt64(timeout) }
        for waiter in expired {
            let waited = Double(now &- waiter.enqueuedAtMilliseconds) / 1000
            var error = overloadedError(reason: "queue_timeout",
                                        message: "no instance became free within \(Instance.format(Double(timeout) / 1000)) s")
            if case .object(var data)? = error.data {
                data["waited_s"] = .number(JSONNumber(waited))
                error.data = .object(data)
            }
            waiter.completion(.failure(error))
        }
        if queue.isEmpty { queueTimer?.stop() }
    }
}
