// The life of one Blender instance:
//
//   starting ──worker.ready──► ready ◄──reset──┐
//      │                        │  lease       │ release
//      │                        ▼              │
//      │                       busy ───────────┘
//      │                        │ release past N jobs / RSS limit
//      │                        ▼
//      │                    recycling ──┐   (stop, and a fresh instance takes its place)
//      │        stop / shutdown         ▼
//      └──────────────────────────► stopping ──exit──► dead
//   any state ──crash / EOF / timeout kill / ready timeout──► dead

public enum InstanceState: String, Codable, Sendable, CaseIterable {
    /// Spawned, waiting for `worker.ready`.
    case starting
    /// Idle and leasable.
    case ready
    /// Leased to a session, or being reset after its lease.
    case busy
    /// Being stopped to be replaced (too many jobs, too much memory).
    case recycling
    /// Being stopped (`instance.stop`, eviction, daemon shutdown).
    case stopping
    /// Gone; its calls have failed with -32005. Final.
    case dead

    /// Still holds (or may hold) a process.
    public var isLive: Bool { self != .dead }
}
