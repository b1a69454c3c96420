// Umbrella header for libuv plus the few POSIX headers UVCore needs next to it.
//
// Why no _GNU_SOURCE here: UVCore imports Glibc as well, and clang checks that every struct
// both modules see has one definition. Defining _GNU_SOURCE in this module renames glibc's
// fd_set member (__fds_bits -> fds_bits), so `import Glibc` + `import CLibUV` stops compiling.
// The one GNU-only thing we need, `struct ucred` for SO_PEERCRED, is declared below with the
// kernel's layout instead.
#ifndef BLENDERD_CLIBUV_SHIM_H
#define BLENDERD_CLIBUV_SHIM_H
#include <uv.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/prctl.h>

// Same layout as Linux's `struct ucred` (include/linux/socket.h): what getsockopt(SO_PEERCRED)
// fills in. The kernel ABI fixes it: pid, uid, gid, each 32 bits.
typedef struct blenderd_ucred {
    pid_t pid;
    uid_t uid;
    gid_t gid;
} blenderd_ucred;

_Static_assert(sizeof(blenderd_ucred) == 12, "struct ucred is three 32-bit fields");

#endif
