"""A fake Blender worker for the InstancePool tests: speaks the worker protocol
(protocol/worker.md) on fd 3 without bpy, so pool behaviour is tested with real
processes in milliseconds instead of Blender's second-long starts.

Framing comes from the add-on's pure `blenderd.rpc` package (PYTHONPATH must
name the repository's addon/ directory), so the bytes on the wire are the real
worker's.

Start-up directives (environment):
  FAKE_BLENDER_VERSION   version to report (default 4.4.0)
  FAKE_WORKER_KIND       kind to report (default module)
  FAKE_ENGINES           comma-separated engines (default the 4.4 set)
  FAKE_PROTOCOL          protocol number to report (default 1)
  FAKE_READY_DELAY       seconds to sleep before worker.ready
  FAKE_NEVER_READY       set: never send worker.ready (just wait for EOF)
  FAKE_GARBAGE_AT_START  set: write non-protocol bytes on fd 3 instead of worker.ready
  FAKE_RESET_DELAY       seconds worker.reset takes
  BLENDERD_GPU_INDEX / BLENDERD_GPU_TYPE   as the real worker: report `gpu`

Methods: worker.ping, worker.reset, worker.shutdown, script.exec (exec() of
`code` with stdout/stderr captured; a global `result` becomes `value`). The
script's namespace has `fake`, with helpers for the failure tests:
  fake.crash(code=3)          os._exit(code)
  fake.segfault()             SIGSEGV to itself (as a Blender crash)
  fake.hang()                 busy loop forever
  fake.garbage()              write bytes that are not a frame onto fd 3
  fake.reply_raw(body)        answer this call with `body` (str or bytes, "%ID%" replaced by
                              the request id) as a well-framed message instead of the real reply
  fake.log(text)              a line on stdout and stderr (log capture)
"""

import io
import os
import signal
import socket
import sys
import time
import traceback

from blenderd.rpc import Channel, RpcError, errors

FD = 3
DEFAULT_ENGINES = "BLENDER_EEVEE_NEXT,BLENDER_WORKBENCH,CYCLES"
_started = time.monotonic()


class Fake:
    """Helpers a test script calls to misbehave on purpose."""

    def __init__(self, channel):
        self._channel = channel
        self.current_id = None
        self.replied = False

    def crash(self, code=3):
        os._exit(code)

    def segfault(self):
        os.kill(os.getpid(), signal.SIGSEGV)
        time.sleep(10)

    def hang(self):
        while True:
            pass

    def garbage(self):
        os.write(FD, b"this is not a frame\r\nat all\r\n\r\n")
        time.sleep(10)

    def reply_raw(self, body):
        if isinstance(body, str):
            body = body.encode("utf-8")
        body = body.replace(b"%ID%", str(self.current_id).encode())
        os.write(FD, b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.replied = True

    def log(self, text):
        print("fake stdout: %s" % text, file=sys.__stdout__, flush=True)
        print("fake stderr: %s" % text, file=sys.__stderr__, flush=True)


def ready_params():
    version = os.environ.get("FAKE_BLENDER_VERSION", "4.4.0")
    numbers = [int(part) for part in version.split(" ")[0].split(".")]
    params = {
        "protocol": int(os.environ.get("FAKE_PROTOCOL", "1")),
        "kind": os.environ.get("FAKE_WORKER_KIND", "module"),
        "headless": True,
        "pid": os.getpid(),
        "blender": {"version": "%d.%d.%d" % tuple(numbers), "version_tuple": numbers, "version_string": version},
        "python": "%d.%d.%d" % sys.version_info[:3],
        "engines": [e for e in os.environ.get("FAKE_ENGINES", DEFAULT_ENGINES).split(",") if e],
        "devices": [{"type": "CPU", "name": "Fake CPU", "id": "CPU"}],
        "startup_ms": int((time.monotonic() - _started) * 1000),
    }
    index = os.environ.get("BLENDERD_GPU_INDEX")
    if index is not None:
        gpu_type = os.environ.get("BLENDERD_GPU_TYPE", "CUDA")
        params["gpu"] = {"index": int(index), "type": gpu_type, "name": "Fake GPU %s" % index, "id": "%s_%s" % (gpu_type, index)}
        params["devices"].append({"type": gpu_type, "name": "Fake GPU %s" % index, "id": "%s_%s" % (gpu_type, index)})
    return params


def script_exec(params, fake):
    code = params.get("code")
    if not isinstance(code, str):
        raise RpcError(errors.INVALID_PARAMS, "code must be a string", {"param": "code"})
    out, err = io.StringIO(), io.StringIO()
    namespace = {"__name__": "__main__", "fake": fake}
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    start = time.perf_counter()
    try:
        exec(compile(code, "<blenderd-script>", "exec"), namespace)
    except Exception as exc:
        sys.stdout, sys.stderr = saved
        raise RpcError(errors.SCRIPT_ERROR, "%s: %s" % (type(exc).__name__, exc), {
            "type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc().splitlines()[-5:],
            "stdout": out.getvalue(), "stderr": err.getvalue(),
        })
    finally:
        sys.stdout, sys.stderr = saved
    result = {"stdout": out.getvalue(), "stderr": err.getvalue(), "stdout_truncated": False,
              "stderr_truncated": False, "changes": {}, "reports": [],
              "duration_ms": round((time.perf_counter() - start) * 1000, 3)}
    if "result" in namespace:
        result["value"] = namespace["result"]
    return result


def serve(channel):
    fake = Fake(channel)
    reset_delay = float(os.environ.get("FAKE_RESET_DELAY", "0"))
    while True:
        msg = channel.read()
        if msg is None:
            return 0
        if msg.kind != "request" and msg.kind != "notification":
            continue
        stop = False
        fake.current_id, fake.replied = msg.id, False
        try:
            if msg.method == "worker.ping":
                result = {}
            elif msg.method == "worker.reset":
                start = time.perf_counter()
                time.sleep(reset_delay)
                result = {"duration_ms": round((time.perf_counter() - start) * 1000, 3)}
            elif msg.method == "worker.shutdown":
                result, stop = {}, True
            elif msg.method == "script.exec":
                result = script_exec(msg.params or {}, fake)
            else:
                raise RpcError(errors.METHOD_NOT_FOUND, "method %r not found" % msg.method, {"method": msg.method})
        except RpcError as exc:
            if msg.kind == "request" and not fake.replied:
                channel.respond_error(msg.id, exc)
            continue
        if msg.kind == "request" and not fake.replied:
            channel.respond(msg.id, result)
        if stop:
            return 0


def main():
    print("fake worker %d starting" % os.getpid(), file=sys.stderr, flush=True)
    channel = Channel(socket.socket(fileno=FD))
    delay = float(os.environ.get("FAKE_READY_DELAY", "0"))
    if delay:
        time.sleep(delay)
    if os.environ.get("FAKE_GARBAGE_AT_START"):
        os.write(FD, b"GARBAGE that is not a header\n")
        time.sleep(30)
        return 0
    if os.environ.get("FAKE_NEVER_READY"):
        while channel.read() is not None:
            pass
        return 0
    channel.notify("worker.ready", ready_params())
    return serve(channel)


if __name__ == "__main__":
    sys.exit(main())
