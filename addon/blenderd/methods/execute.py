"""script.exec: run agent-written code, report precisely what happened."""

import builtins
import time

import bmesh
import bpy
import mathutils

from ..rpc import errors
from ..rpc.errors import RpcError
from ..rpc.messages import Params
from ..sandbox import audit
from ..sandbox.policy import permission_hints
from ..script import capture, changes, jsonsafe, tracebacks
from . import hints_live, lifecycle, snapshot

MAX_CAPTURE = 64 * 1024 * 1024  # a caller cannot ask for more than one frame holds


def _namespace():
    # Fresh per call: a script cannot lean on leftovers from an earlier one,
    # which is what the agent sees in the scene, not in Python variables.
    # __name__ == "__main__" as in Blender's Text Editor "Run Script".
    return {"__name__": "__main__", "__file__": tracebacks.SCRIPT_FILENAME, "__builtins__": builtins,
            "bpy": bpy, "bmesh": bmesh, "mathutils": mathutils}


def _error_code(exc):
    if type(exc).__name__ == "SandboxViolation":  # raised by the sandbox audit hook
        return errors.SANDBOX_VIOLATION
    if isinstance(exc, KeyboardInterrupt):
        return errors.CANCELLED  # SIGINT from the daemon's request.cancel
    return errors.SCRIPT_ERROR


def _since_ms(start):
    return round((time.perf_counter() - start) * 1000, 3)


def script_exec(params):
    # worker_ms: the whole handler, compile to result. duration_ms is the script alone; the
    # difference is this call's machinery (snapshots, change tracking, conversion), and a
    # client's round trip minus worker_ms is what the transport (and the daemon) cost it.
    entered = time.perf_counter()
    p = Params(params)
    code = p.str("code", required=True)
    limit = p.int("capture_limit", capture.DEFAULT_LIMIT, minimum=0, maximum=MAX_CAPTURE)
    lines = code.splitlines()

    try:
        compiled = compile(code, tracebacks.SCRIPT_FILENAME, "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:  # ValueError: NUL bytes in source
        if not isinstance(exc, SyntaxError):
            exc = SyntaxError(str(exc))
        data = tracebacks.syntax_error_data(exc, lines)
        data.update(stdout="", stderr="", hints=[], changes={}, reports=[],
                    stdout_truncated=False, stderr_truncated=False, duration_ms=0.0, worker_ms=_since_ms(entered))
        where = " (line %s)" % data["line"] if data.get("line") else ""
        raise RpcError(errors.SCRIPT_ERROR, "%s: %s%s" % (data["type"], data["message"], where), data)

    lifecycle.ensure_tempdir()
    before = snapshot.take()
    namespace = _namespace()
    failure = None
    start = time.perf_counter()
    with capture.captured_output(limit) as (out, err), audit.enforcing() as seen:
        try:
            exec(compiled, namespace)
        except BaseException as exc:  # SystemExit too: sys.exit() must not end the worker
            failure = exc
    violations = list(seen)
    duration = round((time.perf_counter() - start) * 1000, 3)
    try:
        delta = changes.diff(before, snapshot.take())
    except Exception as exc:  # the script may have left Blender in a state we cannot read
        delta = {"error": "%s: %s" % (type(exc).__name__, exc)}

    common = {
        "stdout": out.getvalue(), "stderr": err.getvalue(),
        "stdout_truncated": out.truncated, "stderr_truncated": err.truncated,
        "changes": delta, "reports": out.reports or [], "duration_ms": duration,
    }
    if violations:
        try:
            error = _violation_error(violations, failure, lines, common)
            error.data["worker_ms"] = _since_ms(entered)
            raise error
        finally:
            if failure is not None:
                failure.__traceback__ = None
            failure = None
    if failure is None:
        result = dict(common)
        if "result" in namespace:
            result["value"] = jsonsafe.to_json(namespace["result"])
        result["worker_ms"] = _since_ms(entered)
        return result

    try:
        frames = tracebacks.user_frames(failure.__traceback__, lines)
        innermost = frames[-1] if frames else (None, None)
        data = {
            "type": type(failure).__name__,
            "message": str(failure),
            "traceback": tracebacks.describe_frames(frames, lines),
            "line": innermost[1],
            "hints": hints_live.hints_for(failure, innermost[0], code, innermost[1]),
        }
        policy = audit.policy()
        if policy is not None:  # EACCES the OS layer raised without the hook seeing it
            data["hints"] += permission_hints(failure, policy.workspace, policy.write_roots)
        data.update(common)
        data["worker_ms"] = _since_ms(entered)
        where = " (line %d)" % data["line"] if data["line"] else ""
        raise RpcError(_error_code(failure), tracebacks.format_exception_only(failure) + where, data)
    finally:
        # Frames hold the script's namespace (maybe large meshes); drop them now.
        failure.__traceback__ = None
        # Not namespace.clear(): functions the script registered (handlers,
        # drivers) keep using it as their globals.
        failure = None


def _violation_error(violations, failure, lines, common):
    """-32003 for the first violation of the call, even when the script caught
    it and went on: the daemon (and the LLM) must know the script tried."""
    first = violations[0]
    policy = audit.policy()
    traceback = tracebacks.describe_lines(first.frames, lines)
    data = {
        "type": "SandboxViolation",
        "action": first.action,
        "target": first.target,
        "policy": policy.tier if policy is not None else None,
        "message": first.message,
        "hints": list(first.hints),
        "line": traceback[-1]["line"] if traceback else None,
        "traceback": traceback,
        "event": first.event,
        "caught": not isinstance(failure, audit.SandboxViolation) or failure.violation is not first,
    }
    if len(violations) > 1:
        data["violations"] = [dict(v.to_dict(), line=v.frames[-1][0] if v.frames else None) for v in violations]
    if failure is not None and not isinstance(failure, audit.SandboxViolation):
        frames = tracebacks.user_frames(failure.__traceback__, lines)
        data["error"] = {"type": type(failure).__name__, "message": str(failure),
                         "line": frames[-1][1] if frames else None}
    data.update(common)
    return RpcError(errors.SANDBOX_VIOLATION, "Sandbox violation", data)
