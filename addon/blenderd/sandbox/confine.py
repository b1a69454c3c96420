"""Start-up: put the worker in its sandbox and describe what was applied.

Called once by the headless worker after Blender is initialised and before
`worker.ready`, so no user code ever runs unconfined. The report has the shape
the daemon uses for its own layers (Sources/Sandbox/SandboxReport.swift):
`{tier, layers: [{name, status: applied|not_applied, detail?, reason?}]}`.
"""

import os
import time

from . import audit, landlock
from .config import TRUSTED, within_any

# Read beneath /proc/<pid> (so /proc/self and /proc/thread-self work) and these
# few system files; everything else in /proc and /sys stays closed, notably other
# processes' environ/cmdline/maps. Found by tracing a sandboxed worker (strace:
# script.exec, Cycles and Workbench renders, glTF/OBJ export, checkpoints,
# worker.reset on Blender 3.4 and bpy 4.4):
SYSTEM_READ = [
    ("/proc/meminfo", "memory size: Blender's memory statistics and Cycles read it"),
    ("/proc/uptime", "the worker's own age (worker.ready's startup_ms)"),
    ("/proc/sys/vm/overcommit_memory", "read while rendering (bpy 4.4); a harmless kernel setting"),
    ("/sys/devices/system/cpu", "online/possible CPUs: glibc's get_nprocs (os.cpu_count), TBB"),
    # Not read on x86_64 in those traces, kept because they are harmless and
    # their absence fails late: the CPU model where cpuid is unavailable
    # (Cycles on aarch64), and randomness for libraries that open the device
    # instead of calling getrandom.
    ("/proc/cpuinfo", "CPU model on aarch64 (Cycles' device name)"),
    ("/dev/urandom", "randomness"),
    ("/dev/random", "randomness"),
]
# Read, write, truncate, ioctl: the harmless character devices.
SYSTEM_DEVICES = ["/dev/null", "/dev/zero", "/dev/full", "/dev/tty"]
# Only for a worker pinned to a GPU: the driver opens these again when it makes
# a context after start-up (not testable on a machine without a GPU).
GPU_DEVICES = ["/dev/dri", "/dev/kfd", "/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
               "/dev/nvidia-modeset"] + ["/dev/nvidia%d" % i for i in range(16)]


def trusted_report(reason="no --sandbox: a trusted worker (an attached GUI Blender or a test's direct worker)"):
    return {"tier": TRUSTED, "layers": [
        {"name": "landlock", "status": "not_applied", "reason": reason},
        {"name": "audit_hook", "status": "not_applied", "reason": reason},
    ]}


def rules(config, tempdir=None, runtime_paths=(), gpu=False):
    """The Landlock rules for `config`: read beneath read_only and the runtime
    paths, everything beneath the workspace, `writable` and Blender's temp dir."""
    read = landlock.READ
    full = landlock.fs_rights(99)
    device = landlock.READ_FILE | landlock.WRITE_FILE | landlock.TRUNCATE | landlock.IOCTL_DEV
    out = [landlock.Rule(p, read, "read_only") for p in config.read_only]
    out += [landlock.Rule(p, read, "worker runtime") for p in runtime_paths]
    out.append(landlock.Rule("/proc/%d" % os.getpid(), read, "/proc/self"))
    out += [landlock.Rule(p, read, why) for p, why in SYSTEM_READ]
    out += [landlock.Rule(p, device, "device") for p in SYSTEM_DEVICES]
    if gpu:
        out += [landlock.Rule(p, device, "GPU") for p in GPU_DEVICES if os.path.exists(p)]
    out += [landlock.Rule(p, full, "writable") for p in config.write_roots]
    if tempdir:
        out.append(landlock.Rule(tempdir.rstrip("/") or tempdir, full, "Blender temp dir"))
    return out


def _missing_ok(path, why):
    # System files that do not exist on every machine (a /dev/tty-less container,
    # cgroup v1) are not worth a line of the report.
    return why in ("read_only", "worker runtime", "GPU", "device") or path.startswith(("/sys/", "/proc/sys/"))


def apply_landlock(config, tempdir=None, runtime_paths=(), gpu=False):
    """The `landlock` layer of the report, after trying to apply it."""
    rule_list = rules(config, tempdir, runtime_paths, gpu)
    try:
        outcome = landlock.restrict(rule_list, deny_tcp=not config.network)
    except landlock.LandlockError as exc:
        return {"name": "landlock", "status": "not_applied",
                "reason": "Landlock unavailable: %s (errno %s)" % (exc.strerror or exc, exc.errno)}
    why = {r.path: r.why for r in rule_list}
    skipped = [{"path": p, "reason": r} for p, r in outcome.skipped
               if not (r.startswith("No such file") and _missing_ok(p, why.get(p, "")))]
    writable = list(config.write_roots)
    if tempdir and not within_any(tempdir, writable):
        writable.append(tempdir)
    detail = ("ABI %d; restricts %s; writable: %s; %d rules"
              % (outcome.abi, ", ".join(outcome.restricts), ", ".join(writable), len(outcome.added)))
    if outcome.abi < 4 and not config.network:
        detail += "; TCP not restricted (needs ABI 4)"
    if outcome.abi < 6:
        detail += "; signals and abstract sockets not scoped (needs ABI 6)"
    if outcome.preexisting_threads:
        detail += ("; %d threads Blender started earlier keep the old domain (user code runs on the"
                   " main thread and threads it starts, which are restricted)" % outcome.preexisting_threads)
    layer = {"name": "landlock", "status": "applied", "detail": detail, "abi": outcome.abi,
             "rules": len(outcome.added)}
    if skipped:
        layer["skipped"] = skipped
    return layer


def confine(config, tempdir=None, runtime_paths=(), gpu=False, log=None):
    """Apply Landlock, then install the audit hook. Returns worker.ready's `sandbox`.

    The worker starts serving either way: when Landlock is unavailable the
    report says so and the daemon decides (under bubblewrap it is the second
    wall, not the only one).
    """
    if config is None:
        return trusted_report()
    start = time.perf_counter()
    layers = [apply_landlock(config, tempdir, runtime_paths, gpu)]
    # The hook allows what Landlock grants, so it never flags what the kernel permits.
    tempdirs = [tempdir.rstrip("/")] if tempdir else []
    audit.install(config,
                  read_extra=list(runtime_paths) + [p for p, _ in SYSTEM_READ] + SYSTEM_DEVICES,
                  write_extra=tempdirs + SYSTEM_DEVICES)
    layers.append({"name": "audit_hook", "status": "applied",
                   "detail": "SandboxViolation (-32003) while script.exec runs user code: subprocess, exec, "
                             "fork, network, ctypes, signals to other processes, writes outside %s%s"
                             % (config.workspace, ", reads outside the read-only paths" if config.tier == "strict" else "")})
    if log is not None:
        for layer in layers:
            log("sandbox %s: %s %s: %s" % (config.tier, layer["name"], layer["status"],
                                           layer.get("detail") or layer.get("reason") or ""))
            for s in layer.get("skipped", []):
                log("sandbox: landlock rule for %s not added: %s" % (s["path"], s["reason"]))
        log("sandbox: confined in %.1f ms" % ((time.perf_counter() - start) * 1000))
    return {"tier": config.tier, "layers": layers}
