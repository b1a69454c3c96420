from blenderd.script import tracebacks
from blenderd.script.tracebacks import SCRIPT_FILENAME


def run(code):
    compiled = compile(code, SCRIPT_FILENAME, "exec")
    try:
        exec(compiled, {})
    except Exception as exc:
        return exc
    raise AssertionError("no error")


def test_only_script_frames_with_script_lines():
    code = "import json\n\ndef f(x):\n    return json.loads(x)\n\nf('{')\n"
    exc = run(code)
    lines = code.splitlines()
    frames = tracebacks.user_frames(exc.__traceback__, lines)
    described = tracebacks.describe_frames(frames, lines)
    # json's own frames are dropped; this test module's frame too
    assert described == [{"line": 6, "function": "<module>", "text": "f('{')"},
                         {"line": 4, "function": "f", "text": "return json.loads(x)"}]


def test_syntax_error_data():
    code = "a = 1\nb = (2,\nc = 3 +\n"
    try:
        compile(code, SCRIPT_FILENAME, "exec")
    except SyntaxError as exc:
        data = tracebacks.syntax_error_data(exc, code.splitlines())
    assert data["type"] == "SyntaxError" and data["line"] in (2, 3)
    assert data["traceback"][0]["line"] == data["line"]


def test_syntax_error_of_other_source_has_no_script_line():
    try:
        compile("x = (", "<other>", "exec")
    except SyntaxError as exc:
        data = tracebacks.syntax_error_data(exc, ["x = ("])
    assert data["line"] is None and data["traceback"] == []


def test_format_exception_only():
    assert tracebacks.format_exception_only(KeyError("k")) == "KeyError: 'k'"
    assert tracebacks.format_exception_only(SystemExit()) == "SystemExit"
