#!/usr/bin/env python3
"""An LL3M-style agent loop against blenderd and any OpenAI-compatible chat endpoint:

    plan -> write a Blender script -> run it -> on an error, send the model the error, the
    offending line and the daemon's hints and ask for a fix -> run again ... -> render views into
    a folder (and export a .glb)

Configuration (environment):
    LLM_BASE_URL   the endpoint's base URL, up to and including /v1 (POST <base>/chat/completions):
                   https://api.openai.com/v1, http://localhost:11434/v1 (Ollama),
                   http://localhost:8000/v1 (vLLM, llama.cpp server), ...
    LLM_MODEL      the model name the endpoint knows
    LLM_API_KEY    sent as "Authorization: Bearer ..." when set (optional)
    BLENDERD_SOCKET  the daemon's socket (or --socket); default the daemon's own default path

Without LLM_BASE_URL and LLM_MODEL it says so and exits with status 2 (nothing was run); the
scripted session without a model is examples/demo.py.

usage: orchestrator.py [--socket PATH] [--out DIR] [--attempts N] [--views N] [--resolution WxH]
                       [--samples N] [--engine CYCLES|EEVEE|WORKBENCH] [TASK ...]
Stdlib only; the Blender side goes through the Python client (clients/python).
"""

import argparse
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "clients", "python"))

from blenderd_client import (BlenderdError, Client, InstanceCrashed, SandboxViolation, ScriptError,  # noqa: E402
                             Timeout)

NOT_CONFIGURED = 2
DEFAULT_TASK = "a simple wooden armchair with four legs, a seat, a backrest and a fabric cushion"

SYSTEM = """You write Python scripts for Blender {blender} (the bpy API of exactly that version).
Each script runs in a fresh namespace inside a running Blender through blenderd; the scene persists
between scripts, so a script may build on what earlier successful scripts made. Rules:
- import what you use (import bpy, import bmesh, ...); do not read or write files, use no network,
  start no programs (the sandbox refuses it);
- name the objects you create; create materials with use_nodes and a Principled BSDF;
- at the end set a variable `result` to a short summary (e.g. the names of the objects made);
- answer with exactly one ```python code block and nothing else."""


class LLM:
    """An OpenAI-compatible /chat/completions endpoint, through urllib."""

    def __init__(self, base_url, model, api_key=None, timeout=300):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self.calls = 0

    def chat(self, messages, temperature=0.2):
        body = json.dumps({"model": self.model, "messages": messages, "temperature": temperature}).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = "Bearer " + self.api_key
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        self.calls += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:500]
            raise SystemExit("the LLM endpoint %s answered HTTP %d: %s" % (self.url, exc.code, detail))
        except (urllib.error.URLError, OSError) as exc:
            raise SystemExit("cannot reach the LLM endpoint %s: %s (check LLM_BASE_URL)" % (self.url, exc))
        try:
            return reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise SystemExit("the LLM endpoint's reply is not a chat completion: %s" % json.dumps(reply)[:500])


def extract_code(text):
    """The first fenced code block (```python or ```), else the whole text."""
    match = re.search(r"```(?:python|py)?[ \t]*\n(.*?)```", text, re.S)
    return (match.group(1) if match else text).strip() + "\n"


def describe_failure(error, code):
    """What the model needs to fix the script: the error, the line, the hints, what the daemon
    did to the scene."""
    if isinstance(error, (ScriptError, SandboxViolation)):
        text = error.explain(code)
        if isinstance(error, SandboxViolation):
            text = "the sandbox refused: %s %s\n%s" % (error.action, error.target, text)
    elif isinstance(error, Timeout):
        text = "the script ran past its %s s time limit and was stopped" % error.timeout_s
    elif isinstance(error, InstanceCrashed):
        text = "Blender crashed while running the script (%s); its last output:\n%s" % (
            error.reason, "\n".join(error.output_tail[-10:]))
    else:
        text = "%s: %s" % (error.message, json.dumps(error.data)[:1000])
    if error.restored:
        text += ("\nThe scene was put back to checkpoint %s (as the last successful script left it)."
                 % error.restored_checkpoint if error.restored_checkpoint else
                 "\nThe scene is empty again (no checkpoint to restore).")
    elif isinstance(error, (ScriptError, SandboxViolation)) and error.changes:
        text += "\nThe scene keeps what the script did before it failed: %s" % json.dumps(error.changes)[:500]
    return text


def parse_resolution(text):
    match = re.fullmatch(r"(\d+)[xX](\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError("resolution is WIDTHxHEIGHT, e.g. 480x270")
    return [int(match.group(1)), int(match.group(2))]


def arguments(argv):
    parser = argparse.ArgumentParser(description="plan -> write -> run -> fix -> render with an LLM and blenderd")
    parser.add_argument("task", nargs="*", help="what to model (default: %s)" % DEFAULT_TASK)
    parser.add_argument("--socket", default=None, help="blenderd's socket (default $BLENDERD_SOCKET or its default)")
    parser.add_argument("--out", default=os.path.join("out", "orchestrator"), help="folder for the views and the .glb")
    parser.add_argument("--attempts", type=int, default=4, help="scripts to try before giving up (default 4)")
    parser.add_argument("--views", type=int, default=4)
    parser.add_argument("--resolution", type=parse_resolution, default=[480, 270])
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--engine", default="CYCLES")
    parser.add_argument("--blender", default=">=4.2", help="session.open's Blender range (default >=4.2)")
    return parser.parse_args(argv)


def main(argv=None):
    args = arguments(sys.argv[1:] if argv is None else argv)
    base_url, model = os.environ.get("LLM_BASE_URL"), os.environ.get("LLM_MODEL")
    if not base_url or not model:
        print("No LLM is configured, so nothing was run.\n"
              "Set LLM_BASE_URL to an OpenAI-compatible endpoint (up to and including /v1) and LLM_MODEL to a\n"
              "model it serves; LLM_API_KEY if it needs one. For example:\n"
              "  LLM_BASE_URL=https://api.openai.com/v1 LLM_MODEL=gpt-4o LLM_API_KEY=sk-... python3 examples/orchestrator.py\n"
              "  LLM_BASE_URL=http://localhost:11434/v1 LLM_MODEL=qwen2.5-coder python3 examples/orchestrator.py\n"
              "The same session scripted, without a model: python3 examples/demo.py")
        return NOT_CONFIGURED
    task = " ".join(args.task) or DEFAULT_TASK
    llm = LLM(base_url, model, os.environ.get("LLM_API_KEY"))
    out_dir = os.path.abspath(args.out)
    os.makedirs(out_dir, exist_ok=True)

    with Client(args.socket) as client, client.session(blender=args.blender) as session:
        print("session %s: Blender %s on %s; model %s at %s" % (session.id, session.blender, session.instance,
                                                               model, llm.url))
        # A checkpoint of the empty scene, so even the first script's failure is rolled back (the
        # daemon restores the current checkpoint after a failed script): every attempt starts clean.
        session.checkpoint("start")
        messages = [{"role": "system", "content": SYSTEM.format(blender=session.blender)}]

        print("\n== plan")
        messages.append({"role": "user", "content": "Task: %s\nFirst, plan the parts, their sizes and placement and "
                         "the materials in a few short lines. No code yet." % task})
        plan = llm.chat(messages)
        messages.append({"role": "assistant", "content": plan})
        print(plan.strip())

        messages.append({"role": "user", "content": "Now write the script that builds it."})
        succeeded = False
        for attempt in range(1, args.attempts + 1):
            print("\n== write (attempt %d)" % attempt)
            answer = llm.chat(messages)
            messages.append({"role": "assistant", "content": answer})
            code = extract_code(answer)
            print("%d lines of Python" % len(code.splitlines()))

            print("== run")
            started = time.perf_counter()
            try:
                result = session.exec(code)
            except BlenderdError as error:
                failure = describe_failure(error, code)
                print("failed (%s, %.0f ms):\n%s" % (type(error).__name__, (time.perf_counter() - started) * 1000,
                                                    failure))
                messages.append({"role": "user", "content": "Running it failed:\n%s\n\nFix the script. Answer with "
                                 "the whole corrected script in one ```python block." % failure})
                continue
            print("ok in %.0f ms, checkpoint %s; result = %s" % (result.duration_ms, result.checkpoint,
                                                                json.dumps(result.value)[:300]))
            if result.stdout.strip():
                print("stdout: " + result.stdout.strip()[:500])
            succeeded = True
            break
        if not succeeded:
            print("\nno working script after %d attempts; the scene is at its last checkpoint" % args.attempts)
            return 1

        print("\n== render %d views" % args.views)
        paths = []
        for image in session.render_views(args.views, resolution=args.resolution, samples=args.samples,
                                          engine=args.engine):
            paths.append(image.save(os.path.join(out_dir, "view-%d%s" % (image.index, image.extension))))
            print("view %d: %dx%d in %.0f ms -> %s" % (image.index, image.width, image.height, image.duration_ms,
                                                      paths[-1]))
        glb = session.export("glb").save(os.path.join(out_dir, "model.glb"))
        print("exported %s" % glb)
        print("\ndone: %d attempt(s), %d LLM calls, %d views in %s" % (attempt, llm.calls, len(paths), out_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
