// CPU placement of spawned instances (--instance-cpus). On a small machine the scheduler moves
// the client, the daemon and the Blender that serves them between cores from call to call, and
// each move costs cold caches: on a 2-vCPU VM the daemon's overhead on a script.exec swung by
// ~100 µs from run to run, and two identical workers differed by as much. Instances on cores of
// their own, with the daemon and local clients on the others, steady it (BENCHMARKS.md,
// "Placement"). It is opt-in: pinning every Blender to part of the machine also caps what
// parallel renders can use.

#if canImport(Glibc)
import Glibc
#endif

/// A set of CPU numbers, written in the kernel's list format ("1", "0-2,5"), as `taskset -c`
/// and /proc/PID/status `Cpus_allowed_list` write it.
public struct CPUSet: Equatable, Sendable, CustomStringConvertible {
    /// Ascending, without repeats; never empty.
    public let cpus: [Int]

    /// nil when `cpus` is empty or holds a negative number.
    public init?(_ cpus: some Sequence<Int>) {
        let sorted = Set(cpus).sorted()
        guard let first = sorted.first, first >= 0 else { return nil }
        self.cpus = sorted
    }

    /// Parses "0-2,5". nil for anything else: empty parts, reversed ranges, signs, spaces.
    public init?(list: String) {
        var cpus: [Int] = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                  let low = Self.number(bounds[0]), let high = Self.number(bounds[bounds.count - 1]),
                  low <= high, high < Self.limit else { return nil }
            cpus += low...high
        }
        self.init(cpus)
    }

    /// The kernel's CPU_SETSIZE: no CPU number reaches it.
    public static let limit = 1024

    private static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(text)
    }

    /// Canonical list form, ranges merged: [0, 1, 2, 5] → "0-2,5".
    public var description: String {
        var parts: [String] = []
        var start = cpus[0], end = cpus[0]
        for cpu in cpus.dropFirst() {
            if cpu == end + 1 { end = cpu; continue }
            parts.append(start == end ? "\(start)" : "\(start)-\(end)")
            start = cpu
            end = cpu
        }
        parts.append(start == end ? "\(start)" : "\(start)-\(end)")
        return parts.joined(separator: ",")
    }

    public func isSubset(of other: CPUSet) -> Bool { Set(cpus).isSubset(of: other.cpus) }

    /// The CPUs of `self` not in `other`; nil when none are left.
    public func subtracting(_ other: CPUSet) -> CPUSet? { CPUSet(cpus.filter { !other.cpus.contains($0) }) }
}

/// How spawned instances are placed: each runs under `taskset -c CPUS`, which sets its CPU
/// affinity and execs in place (like setpriv and prlimit, so the spawned pid stays the worker's
/// and RSS and crash detection see the same process), before bwrap or Blender start a thread:
/// every thread Blender starts inherits it.
public struct CPUPinning: Equatable, Sendable {
    public var cpus: CPUSet
    /// util-linux taskset.
    public var taskset: String

    public init(cpus: CPUSet, taskset: String) {
        self.cpus = cpus
        self.taskset = taskset
    }

    /// taskset on PATH, else where util-linux puts it (the daemon may run with a bare PATH).
    public static func findTaskset() -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        return Launcher.findExecutable("taskset", searchPath: path + ":/usr/bin:/bin")
    }

    public func wrap(_ spec: LaunchSpec) -> LaunchSpec {
        LaunchSpec(executable: taskset, arguments: ["--cpu-list", cpus.description, spec.executable] + spec.arguments,
                   environment: spec.environment, workingDirectory: spec.workingDirectory)
    }
}
