// The daemon's side of --instance-cpus (CPUSet.swift says why): which CPUs this process may use,
// and moving all of its threads off the instances' CPUs. Process-wide, so only the `blenderd`
// executable calls `pinProcess`; an in-process test daemon leaves its host's threads alone.

import CLinuxProbe
import Foundation
import InstancePool

#if canImport(Glibc)
import Glibc
#endif

public enum CPUAffinity {
    /// The kernel's mask, CPU_SETSIZE (1024) bits, as words: CPU n is bit n % bits of word n / bits.
    private static let bits = UInt.bitWidth
    private static let maskWords = CPUSet.limit / bits
    private static let maskBytes = maskWords * MemoryLayout<UInt>.size

    /// The CPUs the calling thread may run on (its affinity, which cgroups and taskset narrow).
    public static func allowed() throws(SystemCallError) -> CPUSet {
        var mask = [UInt](repeating: 0, count: maskWords)
        _ = try mask.withUnsafeMutableBufferPointer { (buffer) throws(SystemCallError) in
            try sysCheck(blenderd_sched_getaffinity(0, buffer.baseAddress, maskBytes), "sched_getaffinity")
        }
        let cpus = (0..<CPUSet.limit).filter { mask[$0 / bits] & (1 << UInt($0 % bits)) != 0 }
        // The kernel never reports an empty mask for a running thread.
        guard let set = CPUSet(cpus) else { throw SystemCallError(errno: EINVAL, operation: "sched_getaffinity: empty mask") }
        return set
    }

    /// Sets every thread of this process (and so every thread it starts later) to `cpus`.
    /// sched_setaffinity(2) acts on one thread; a thread started while this runs may keep the old
    /// mask, so call it before the loop and libuv's thread pool start.
    public static func pinProcess(to cpus: CPUSet) throws(SystemCallError) {
        var mask = [UInt](repeating: 0, count: maskWords)
        for cpu in cpus.cpus { mask[cpu / bits] |= 1 << UInt(cpu % bits) }
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        let threads = tasks.compactMap { Int32($0) }
        for thread in threads.isEmpty ? [0] : threads {
            do {
                _ = try mask.withUnsafeBufferPointer { (buffer) throws(SystemCallError) in
                    try sysCheck(blenderd_sched_setaffinity(thread, buffer.baseAddress, maskBytes), "sched_setaffinity(\(thread), \(cpus))")
                }
            } catch where error.errno == ESRCH {
                continue  // the thread ended since the listing
            }
        }
    }
}
