"""Which audited actions a sandboxed script may take, decided from the audit
event alone (pure: no hook, no bpy, so every rule is unit-tested).

`Policy.check(event, args)` returns a `Violation` or None. Event names and
argument tuples are CPython's (3.10 and 3.11 agree on all used here; see the
"Audit events table" of the Python docs). The policy is about clear errors,
not containment: Landlock and bubblewrap are the boundary, and a script that
really wants to can flip the audit module's flag.
"""

import errno
import os
import re
import shlex
import socket

from .config import normalize, within_any

ACTIONS = ("subprocess", "exec", "fork", "network", "ctypes", "write", "read", "delete", "signal")

# open() modes and os.open() flags that write.
_WRITE_MODE = re.compile(r"[wax+]")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class Violation:
    """One forbidden action: what, on what, and what to do instead."""

    __slots__ = ("action", "target", "event", "message", "hints", "frames")

    def __init__(self, action, target, event, message, hints=()):
        self.action = action
        self.target = target
        self.event = event
        self.message = message
        self.hints = list(hints)
        self.frames = []  # [(line, function)] in the submitted code, outermost first; set by the hook

    def to_dict(self):
        return {"action": self.action, "target": self.target, "event": self.event, "message": self.message}

    def __repr__(self):
        return "Violation(%s, %r, %s)" % (self.action, self.target, self.event)


def _path(value):
    """A str path from an audit argument, or None for fds and absent paths."""
    if value is None or isinstance(value, int):
        return None
    try:
        value = os.fspath(value)
    except TypeError:
        return None
    if isinstance(value, bytes):
        value = os.fsdecode(value)
    return value or None


def _dir_of_fd(dir_fd):
    try:
        return os.readlink("/proc/self/fd/%d" % dir_fd)
    except (OSError, TypeError):
        return None


def resolve(path, dir_fd=None, follow=True):
    """Absolute real path of an audited path: relative to `dir_fd` or the cwd,
    symlinks resolved (the last component too when the call follows it, so a
    link in the workspace pointing elsewhere counts as elsewhere)."""
    if not path.startswith("/"):
        base = _dir_of_fd(dir_fd) if dir_fd is not None else None
        path = os.path.join(base or os.getcwd(), path)
    path = normalize(path)
    if follow:
        return os.path.realpath(path)
    head, tail = os.path.split(path)
    return os.path.join(os.path.realpath(head), tail) if tail else os.path.realpath(path)


def _address(address):
    if isinstance(address, tuple) and len(address) >= 2:
        return "%s:%s" % (address[0], address[1])
    if isinstance(address, (bytes, bytearray)):
        return os.fsdecode(bytes(address)).replace("\0", "@")
    return str(address)


def _command(args):
    if isinstance(args, (list, tuple)):
        try:
            return shlex.join(os.fsdecode(a) if isinstance(a, bytes) else str(a) for a in args)
        except TypeError:
            return repr(args)
    if isinstance(args, bytes):
        return os.fsdecode(args)
    return str(args)


def _family(family):
    try:
        return socket.AddressFamily(family).name
    except (ValueError, TypeError):
        return str(family)


class Policy:
    """Decisions for one sandbox configuration.

    `read_extra` and `write_extra` are what the worker itself needs besides
    the configured paths (its runtime, Blender's temp dir, /dev/null): the
    same list Landlock grants, so the hook never flags what the kernel allows.
    """

    def __init__(self, config, read_extra=(), write_extra=(), pid=None):
        self.tier = config.tier
        self.workspace = config.workspace
        self.network = config.network
        self.pid = os.getpid() if pid is None else pid
        self.write_roots = [self._real(p) for p in list(config.write_roots) + list(write_extra)]
        self.read_roots = self.write_roots + [self._real(p) for p in list(config.read_only) + list(read_extra)]
        self.read_roots += ["/proc/%d" % self.pid]

    @staticmethod
    def _real(path):
        # Configured roots resolved once, so a workspace given through a symlink
        # (/tmp -> /private/tmp) matches the resolved paths of events.
        return os.path.realpath(normalize(path))

    # -- hints ---------------------------------------------------------------

    def hints(self, action):
        ws = self.workspace
        if action in ("write", "delete"):
            return ["write files under the session directory %s (e.g. os.path.join(%r, 'out.png')); "
                    "relative paths resolve there" % (ws, ws)]
        if action == "read":
            return ["this sandbox reads only the session directory %s and Blender's own files: "
                    "put inputs in the session directory or embed the data in the script" % ws]
        if action == "network":
            return ["this sandbox has no network: embed the data in the script (e.g. as a Python literal) "
                    "instead of downloading it"]
        if action in ("subprocess", "exec", "fork"):
            return ["run Blender operators (bpy.ops) or the Python API in this process instead of "
                    "external programs or child processes"]
        if action == "ctypes":
            return ["ctypes is not available in the sandbox: use Blender's Python API (bpy, bmesh, "
                    "mathutils) or numpy"]
        if action == "signal":
            return ["scripts may not signal other processes; to stop, end the script (or raise an exception)"]
        return []

    def _violation(self, action, target, event, what):
        return Violation(action, target, event, "%s is not allowed in the %s sandbox: %s" % (what, self.tier, target),
                         self.hints(action))

    # -- checks --------------------------------------------------------------

    def _may_write(self, path):
        return within_any(path, self.write_roots)

    def _may_read(self, path):
        return self.tier != "strict" or within_any(path, self.read_roots)

    def _write(self, event, raw, dir_fd=None, follow=True, action="write"):
        path = _path(raw)
        if path is None:
            return None
        real = resolve(path, dir_fd, follow)
        if self._may_write(real):
            return None
        return self._violation(action, real, event, "deleting" if action == "delete" else "writing")

    def _read(self, event, raw, dir_fd=None):
        path = _path(raw)
        if path is None or self.tier != "strict":
            return None
        real = resolve(path, dir_fd)
        if self._may_read(real):
            return None
        return self._violation("read", real, event, "reading")

    def _first(self, *decisions):
        for d in decisions:
            if d is not None:
                return d
        return None

    def check(self, event, args):
        handler = _HANDLERS.get(event)
        if handler is not None:
            return handler(self, event, args)
        if event.startswith("ctypes."):
            # dlopen (name, ...), dlsym (library, name): name what was loaded; else the event
            target = {"ctypes.dlopen": 0, "ctypes.dlsym": 1}.get(event)
            target = args[target] if target is not None and len(args) > target else event
            return self._violation("ctypes", str(target), event, "ctypes")
        return None

    # one method per event family, args as CPython passes them

    def _open(self, event, args):
        path, mode, flags = (tuple(args) + (None, None, 0))[:3]
        writes = (isinstance(mode, str) and _WRITE_MODE.search(mode)) or \
                 (mode is None and isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writes:
            return self._write(event, path)
        return self._read(event, path)

    def _subprocess(self, event, args):
        if event == "subprocess.Popen":
            executable, argv = args[0], args[1]
            target = _command(argv if argv is not None else executable)
        elif event == "os.system":
            target = _command(args[0])
        elif event == "pty.spawn":
            target = _command(args[0])
        elif event == "os.spawn":
            target = _command(args[2] if len(args) > 2 else args[1])
        else:  # os.posix_spawn
            target = _command(args[1] if len(args) > 1 and args[1] else args[0])
        return self._violation("subprocess", target, event, "starting a program")

    def _exec(self, event, args):
        return self._violation("exec", _command(args[1] if len(args) > 1 and args[1] else args[0]), event,
                               "replacing the process (os.exec*)")

    def _fork(self, event, args):
        return self._violation("fork", event, event, "forking")

    def _network(self, event, args):
        if self.network:
            return None
        if event == "socket.__new__":
            target = "socket(%s, %s)" % (_family(args[1]), _family_type(args[2]))
        elif event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            target = _address(args[1])
        elif event == "socket.getaddrinfo":
            target = "%s:%s" % (args[0], args[1]) if args[1] is not None else str(args[0])
        elif event in ("http.client.connect", "ftplib.connect", "smtplib.connect", "poplib.connect",
                       "nntplib.connect", "imaplib.open", "telnetlib.Telnet.open"):
            target = "%s:%s" % (args[1], args[2])
        else:  # urllib.Request, gethostbyname, gethostbyaddr, getnameinfo, ...
            target = _address(args[0]) if args else event
        return self._violation("network", target, event, "network access")

    def _signal(self, event, args):
        if event == "signal.pthread_kill":
            return None  # threads of this process only
        pid = args[0]
        own = pid == self.pid
        if event == "os.killpg" or pid <= 0:
            group = -pid if pid < 0 else (pid if event == "os.killpg" else 0)
            own = group in (0, self.pid) and os.getpgrp() == self.pid
        if own:
            return None
        return self._violation("signal", str(pid), event, "signalling another process")

    def _remove(self, event, args):
        return self._write(event, args[0], args[-1] if len(args) > 1 else None, follow=False, action="delete")

    def _rmtree(self, event, args):
        return self._write(event, args[0], args[1] if len(args) > 1 else None, follow=False, action="delete")

    def _two_paths(self, event, args):
        # os.rename/os.link (src, dst, src_dir_fd, dst_dir_fd), shutil.move
        src_fd = args[2] if len(args) > 2 else None
        dst_fd = args[3] if len(args) > 3 else None
        return self._first(self._write(event, args[0], src_fd, follow=False),
                           self._write(event, args[1], dst_fd, follow=False))

    def _symlink(self, event, args):
        return self._write(event, args[1], args[2] if len(args) > 2 else None, follow=False)

    def _mkdir(self, event, args):
        return self._write(event, args[0], args[2] if len(args) > 2 else None, follow=False)

    def _path_then_fd(self, event, args):
        # os.chmod (path, mode, dir_fd), os.chown (path, uid, gid, dir_fd), os.utime (path, times, ns, dir_fd)
        return self._write(event, args[0], args[-1] if len(args) > 1 else None)

    def _first_path(self, event, args):
        return self._write(event, args[0])

    def _copy(self, event, args):
        # shutil.copyfile/copymode/copystat/copytree (src, dst)
        return self._first(self._read(event, args[0]), self._write(event, args[1]))

    def _second_path(self, event, args):
        # shutil.unpack_archive (filename, extract_dir, format)
        return self._first(self._read(event, args[0]), self._write(event, args[1]))

    def _listdir(self, event, args):
        return self._read(event, args[0] if args else ".")


def _family_type(kind):
    try:
        return socket.SocketKind(kind).name
    except (ValueError, TypeError):
        return str(kind)


_HANDLERS = {
    "open": Policy._open,
    "subprocess.Popen": Policy._subprocess,
    "os.system": Policy._subprocess,
    "os.spawn": Policy._subprocess,
    "os.posix_spawn": Policy._subprocess,
    "os.exec": Policy._exec,
    "pty.spawn": Policy._subprocess,
    "os.fork": Policy._fork,
    "os.forkpty": Policy._fork,
    "socket.__new__": Policy._network,
    "socket.connect": Policy._network,
    "socket.bind": Policy._network,
    "socket.sendto": Policy._network,
    "socket.sendmsg": Policy._network,
    "socket.getaddrinfo": Policy._network,
    "socket.gethostbyname": Policy._network,
    "socket.gethostbyaddr": Policy._network,
    "socket.getnameinfo": Policy._network,
    "urllib.Request": Policy._network,
    "http.client.connect": Policy._network,
    "ftplib.connect": Policy._network,
    "smtplib.connect": Policy._network,
    "poplib.connect": Policy._network,
    "nntplib.connect": Policy._network,
    "imaplib.open": Policy._network,
    "telnetlib.Telnet.open": Policy._network,
    "os.kill": Policy._signal,
    "os.killpg": Policy._signal,
    "signal.pthread_kill": Policy._signal,
    "os.remove": Policy._remove,
    "os.rmdir": Policy._remove,
    "shutil.rmtree": Policy._rmtree,
    "os.rename": Policy._two_paths,
    "os.link": Policy._two_paths,
    "shutil.move": Policy._two_paths,
    "os.symlink": Policy._symlink,
    "os.mkdir": Policy._mkdir,
    "os.chmod": Policy._path_then_fd,
    "os.chown": Policy._path_then_fd,
    "os.utime": Policy._path_then_fd,
    "os.truncate": Policy._first_path,
    "os.setxattr": Policy._first_path,
    "os.removexattr": Policy._first_path,
    "os.chflags": Policy._first_path,
    "os.lchflags": Policy._first_path,
    "shutil.chown": Policy._first_path,
    "shutil.make_archive": Policy._first_path,
    "tempfile.mkstemp": Policy._first_path,
    "tempfile.mkdtemp": Policy._first_path,
    "shutil.copyfile": Policy._copy,
    "shutil.copymode": Policy._copy,
    "shutil.copystat": Policy._copy,
    "shutil.copytree": Policy._copy,
    "shutil.unpack_archive": Policy._second_path,
    "os.listdir": Policy._listdir,
    "os.scandir": Policy._listdir,
}


# -- hints for errors the OS layer raised without the hook seeing them -----------

_PATH_IN_TEXT = re.compile(r"(/[^\s'\"]+)")


def permission_hints(exc, workspace, write_roots):
    """Hints for a script error that is really the sandbox saying no: a
    PermissionError (EACCES/EPERM from Landlock or a read-only mount) or
    Blender's RuntimeError "... Permission denied" about a path outside the
    writable directories. [] for anything else."""
    paths = []
    if isinstance(exc, OSError) and not type(exc).__name__ == "SandboxViolation":
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            return []
        paths = [p for p in (_path(exc.filename), _path(exc.filename2)) if p]
    elif isinstance(exc, RuntimeError) and ("Permission denied" in str(exc) or "Read-only file system" in str(exc)):
        paths = [p.rstrip(".,:;)") for p in _PATH_IN_TEXT.findall(str(exc))]
    else:
        return []
    outside = [p for p in paths if not within_any(normalize(p), write_roots)]
    if paths and not outside:
        return []
    where = " (%s is outside it)" % outside[0] if outside else ""
    return ["the sandbox blocked this%s: only the session directory %s is writable, and files outside it "
            "and Blender's own installation are not readable; write and read files under %s"
            % (where, workspace, workspace)]

