// Kernel calls Swift cannot make itself: syscall(2) is variadic, so Swift does not import it.
#ifndef BLENDERD_CLINUXPROBE_H
#define BLENDERD_CLINUXPROBE_H
#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

// landlock_create_ruleset(2) is number 444 on every Linux architecture (it came after the
// syscall tables were unified); LANDLOCK_CREATE_RULESET_VERSION (1 << 0) asks for the ABI
// version instead of creating a ruleset.
#define BLENDERD_SYS_LANDLOCK_CREATE_RULESET 444
#define BLENDERD_LANDLOCK_CREATE_RULESET_VERSION 1U

/// The Landlock ABI version the running kernel offers (>= 1), or -errno: -ENOSYS (not built
/// in), -EOPNOTSUPP (built in but disabled at boot).
static inline long blenderd_landlock_abi(void) {
    long abi = syscall(BLENDERD_SYS_LANDLOCK_CREATE_RULESET, NULL, (size_t)0, BLENDERD_LANDLOCK_CREATE_RULESET_VERSION);
    return abi >= 0 ? abi : -(long)errno;
}

/// sched_getaffinity(2) for thread `tid` (0: the caller) into a plain bit array of `bytes`
/// bytes (CPU n is bit n % 64 of word n / 64): glibc's CPU_SET macros do not import into Swift.
/// The raw call's contract: the number of bytes the kernel wrote, or -1 with errno set.
static inline int blenderd_sched_getaffinity(int tid, unsigned long *mask, size_t bytes) {
    return (int)syscall(SYS_sched_getaffinity, tid, bytes, mask);
}

/// sched_setaffinity(2) for thread `tid` from the same bit array: 0, or -1 with errno set.
static inline int blenderd_sched_setaffinity(int tid, const unsigned long *mask, size_t bytes) {
    return (int)syscall(SYS_sched_setaffinity, tid, bytes, mask);
}

#endif
