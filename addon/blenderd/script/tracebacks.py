"""Map a failure back onto the submitted code's own lines.

The agent only knows its script, so frames inside Blender's Python modules,
the worker, or the standard library are noise: keep the frames whose code
object was compiled from our script filename and read their text from the
submitted source (linecache has never seen it).
"""

SCRIPT_FILENAME = "<blenderd-script>"


def _line_text(source_lines, lineno):
    if lineno is not None and 1 <= lineno <= len(source_lines):
        return source_lines[lineno - 1].strip()
    return ""


def user_frames(tb, source_lines, filename=SCRIPT_FILENAME):
    """[(frame, lineno)] of the traceback whose code is the script, outermost first."""
    frames = []
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    return frames


def describe_frames(frames, source_lines):
    return [
        {"line": lineno, "function": frame.f_code.co_name, "text": _line_text(source_lines, lineno)}
        for frame, lineno in frames
    ]


def describe_lines(pairs, source_lines):
    """Like describe_frames for (line, function) pairs recorded earlier (frames
    are gone by then, e.g. a sandbox violation the script caught)."""
    return [{"line": lineno, "function": function, "text": _line_text(source_lines, lineno)}
            for lineno, function in pairs]


def syntax_error_data(exc, source_lines, filename=SCRIPT_FILENAME):
    """`data` fields for a SyntaxError (incl. IndentationError/TabError).

    Only errors in the script itself carry its line; a SyntaxError raised by
    e.g. `exec()` of another string inside the script has another filename,
    and is then an ordinary runtime error.
    """
    lineno = exc.lineno if exc.filename == filename else None
    data = {
        "type": type(exc).__name__,
        "message": exc.msg or str(exc),
        "line": lineno,
        "offset": exc.offset if lineno is not None else None,
        "traceback": [],
    }
    if lineno is not None:
        end = getattr(exc, "end_lineno", None)  # 3.10+
        if end:
            data["end_line"] = end
            data["end_offset"] = getattr(exc, "end_offset", None)
        data["traceback"] = [{"line": lineno, "function": "<module>", "text": _line_text(source_lines, lineno)}]
    return data


def format_exception_only(exc):
    """`Type: message` as the last line of a Python traceback shows it."""
    name = type(exc).__name__
    text = str(exc)
    return "%s: %s" % (name, text) if text else name
