"""The Python audit hook: turns a forbidden action into a `SandboxViolation`
an LLM can read ("writing is not allowed ...: /etc/x; write files under ...")
instead of a bare EACCES, and records it so `script.exec` reports it even when
the script catches the exception.

Not the security boundary (ARCHITECTURE.md, "Sandbox, layered"): a hook in the
same interpreter can be bypassed by a determined script. It enforces only while
`enforcing()` is active, i.e. while a `script.exec` runs user code, so the
worker's own I/O (the protocol socket, checkpoints) is never judged. An audit
hook cannot be removed once added (PEP 578), hence the flag.
"""

import sys
import threading

from ..script.tracebacks import SCRIPT_FILENAME
from .policy import Policy

MAX_RECORDED = 20


class SandboxViolation(PermissionError):
    """Raised into the script for a forbidden action. A PermissionError, so code
    that handles "permission denied" handles this too; errno is EACCES."""

    def __init__(self, violation):
        super().__init__(violation.message)
        self.errno = 13  # EACCES; str() stays the message (no strerror/filename set)
        self.violation = violation


_policy = None
_enforcing = False
_violations = []
_local = threading.local()  # re-entrancy: the hook's own os.path calls raise events too


def _script_frames():
    """[(line, function)] of the submitted script on the current stack, outermost first."""
    frames = []
    try:
        frame = sys._getframe(2)
    except ValueError:
        return frames
    while frame is not None:
        if frame.f_code.co_filename == SCRIPT_FILENAME:
            frames.append((frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    frames.reverse()
    return frames


def _hook(event, args):
    if not _enforcing or getattr(_local, "busy", False):
        return
    _local.busy = True
    try:
        violation = _policy.check(event, args)
        if violation is None:
            return
        violation.frames = _script_frames()
        if len(_violations) < MAX_RECORDED:
            _violations.append(violation)
    except Exception:
        # A bug in a rule (odd arguments) must not turn into a baffling error
        # in the user's script; the OS layer still decides.
        return
    finally:
        _local.busy = False
    raise SandboxViolation(violation)


def install(config, read_extra=(), write_extra=()):
    """Add the hook for `config` (once per process; a second call only swaps the policy)."""
    global _policy
    first = _policy is None
    _policy = Policy(config, read_extra=read_extra, write_extra=write_extra)
    if first:
        sys.addaudithook(_hook)


def installed():
    return _policy is not None


def policy():
    return _policy


class enforcing:
    """`with enforcing() as seen:` judge audit events inside; `seen` is the list
    of Violations recorded meanwhile. A no-op without an installed hook."""

    def __enter__(self):
        global _enforcing
        del _violations[:]
        _enforcing = _policy is not None
        return _violations

    def __exit__(self, *exc):
        global _enforcing
        _enforcing = False
        return False
