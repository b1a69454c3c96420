#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds for timing round trips (wall-clock time can jump).
public enum MonotonicClock {
    public static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}
