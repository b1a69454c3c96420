// Umbrella header for libuv plus the few POSIX headers UVCore needs next to it
// (SO_PEERCRED lives in sys/socket.h; _GNU_SOURCE exposes struct ucred).
#ifndef BLENDERD_CLIBUV_SHIM_H
#define BLENDERD_CLIBUV_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <uv.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#endif
