"""Landlock (Linux 5.13+), applied by the worker to itself through ctypes.

Once `restrict_self` returns, this thread and every thread or process it starts
later can reach the file system only beneath the granted paths, with the granted
rights; the restriction cannot be lifted. Which rights exist depends on the
kernel's ABI version, so the ruleset "handles" exactly the rights this kernel
knows (an unknown bit is EINVAL) and everything handled but not granted is denied:

  ABI 1  EXECUTE, WRITE_FILE, READ_FILE, READ_DIR, REMOVE_DIR, REMOVE_FILE,
         MAKE_CHAR, MAKE_DIR, MAKE_REG, MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM
  ABI 2  REFER (link/rename across directories)
  ABI 3  TRUNCATE
  ABI 4  TCP bind/connect (handled with no rule: no TCP at all)
  ABI 5  IOCTL_DEV
  ABI 6  scopes: abstract Unix sockets and signals stay inside the domain

Limits worth knowing. Threads that existed before `restrict_self` keep their
old (unrestricted) domain: Landlock before Linux ABI 8 has no way to restrict
sibling threads. Python code always runs on the main thread or on threads it
starts, which are restricted; the report counts the pre-existing ones. Files
opened before the call (the protocol socket, fd 1/2 logs) keep working.
"""

import ctypes
import errno
import os
import platform
import stat

# Same numbers on x86_64 and aarch64 (the generic syscall table); other
# architectures are reported as unsupported rather than guessed.
_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446), "arm64": (444, 445, 446)}

CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5

NET_BIND_TCP = 1 << 0  # ABI 4
NET_CONNECT_TCP = 1 << 1

SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1

# Rights that make sense on a regular file (a rule on a file with a directory
# right is EINVAL).
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR


def fs_rights(abi):
    """Every file-system right the kernel of ABI `abi` knows."""
    rights = (1 << 13) - 1  # ABI 1: bits 0-12
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64),
                ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # __attribute__((packed)) in linux/landlock.h: 12 bytes
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class LandlockError(OSError):
    pass


class Rule:
    """Grant `access` beneath `path` (or on the file `path`)."""

    __slots__ = ("path", "access", "why")

    def __init__(self, path, access, why=""):
        self.path = path
        self.access = access
        self.why = why

    def __repr__(self):
        return "Rule(%r, %#x, %r)" % (self.path, self.access, self.why)


class _Syscalls:
    def __init__(self):
        numbers = _SYSCALLS.get(platform.machine())
        if numbers is None:
            raise LandlockError(errno.ENOSYS, "no Landlock syscall numbers for %s" % platform.machine())
        self.create, self.add, self.restrict = numbers
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.syscall.restype = ctypes.c_long
        self.libc.prctl.restype = ctypes.c_int

    def call(self, nr, *args):
        ctypes.set_errno(0)
        rc = self.libc.syscall(ctypes.c_long(nr), *args)
        if rc < 0:
            err = ctypes.get_errno()
            raise LandlockError(err, os.strerror(err))
        return rc


def abi_version():
    """The kernel's Landlock ABI (>= 1), or raise LandlockError (ENOSYS: kernel
    without Landlock; EOPNOTSUPP: built in but disabled at boot)."""
    sc = _Syscalls()
    return sc.call(sc.create, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))


def _open_path(path):
    return os.open(path, os.O_PATH | os.O_CLOEXEC)


class Outcome:
    """What `restrict` did: the ABI, the rules added, the paths skipped (missing
    ones, and any the kernel refused) and what the domain restricts."""

    def __init__(self, abi):
        self.abi = abi
        self.added = []
        self.skipped = []  # [(path, reason)]
        self.restricts = []
        self.preexisting_threads = 0


def restrict(rules, deny_tcp=True, scope=True):
    """Build a ruleset from `rules`, then restrict this thread (and what it starts).

    Raises LandlockError when Landlock is unusable here or the domain cannot be
    entered; a rule that cannot be added (path missing, kernel refuses) is kept
    in `Outcome.skipped`, never silently dropped. Sets PR_SET_NO_NEW_PRIVS first:
    an unprivileged process may only restrict itself with it.
    """
    sc = _Syscalls()
    abi = sc.call(sc.create, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    out = Outcome(abi)
    handled = fs_rights(abi)
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4 and deny_tcp:
        attr.handled_access_net = NET_BIND_TCP | NET_CONNECT_TCP
        out.restricts.append("TCP bind/connect")
    if abi >= 4:
        size = 16
    if abi >= 6:
        size = 24
        if scope:
            attr.scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL
            out.restricts += ["signals", "abstract Unix sockets"]
    ruleset = sc.call(sc.create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    try:
        for rule in rules:
            try:
                fd = _open_path(rule.path)
            except OSError as exc:
                out.skipped.append((rule.path, exc.strerror or str(exc)))
                continue
            try:
                access = rule.access & handled
                if not stat.S_ISDIR(os.fstat(fd).st_mode):
                    access &= FILE_RIGHTS
                beneath = _PathBeneathAttr(access, fd)
                sc.call(sc.add, ctypes.c_int(ruleset), ctypes.c_int(RULE_PATH_BENEATH),
                        ctypes.byref(beneath), ctypes.c_uint32(0))
                out.added.append(rule)
            except LandlockError as exc:
                out.skipped.append((rule.path, "landlock_add_rule: %s" % exc.strerror))
            finally:
                os.close(fd)
        if sc.libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            raise LandlockError(err, "prctl(PR_SET_NO_NEW_PRIVS): %s" % os.strerror(err))
        try:
            out.preexisting_threads = max(0, len(os.listdir("/proc/self/task")) - 1)
        except OSError:
            pass
        sc.call(sc.restrict, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)
    out.restricts.insert(0, "file system")
    return out
