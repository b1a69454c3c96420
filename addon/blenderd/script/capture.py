"""Capped capture of a script's stdout and stderr.

Python-level only (`sys.stdout`/`sys.stderr`): that is where `print`,
tracebacks printed by the script and Blender's operator reports
(`BPy_reports_write_stdout` goes through `sys.stdout`) end up. C-level
`printf` from Blender itself still goes to the worker's fd 1/2, which the
daemon logs; redirecting fds would risk deadlock on a full pipe for little gain.
"""

import contextlib
import io
import re
import sys

DEFAULT_LIMIT = 1024 * 1024  # bytes per stream, the protocol's default capture_limit


class CappedWriter(io.TextIOBase):
    """A text stream keeping at most `limit` UTF-8 bytes; the rest is counted
    and dropped so a runaway `print` loop cannot exhaust memory."""

    def __init__(self, limit=DEFAULT_LIMIT, sniff_reports=False):
        super().__init__()
        self.reports = [] if sniff_reports else None
        self.limit = max(0, int(limit))
        self._parts = []
        self._size = 0
        self.truncated = False
        self.dropped_bytes = 0

    def writable(self):
        return True

    @property
    def encoding(self):
        return "utf-8"

    def isatty(self):
        return False

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError("write() argument must be str, not %s" % type(s).__name__)
        if self.reports is not None and len(self.reports) < MAX_REPORTS and s.endswith("\n"):
            report = parse_report_write(s)
            if report is not None:
                self.reports.append(report)
        data = s.encode("utf-8", "surrogateescape")
        room = self.limit - self._size
        if len(data) <= room:
            self._parts.append(data)
            self._size += len(data)
        else:
            if room > 0:
                self._parts.append(data[:room])
                self._size += room
            self.truncated = True
            self.dropped_bytes += len(data) - max(room, 0)
        return len(s)

    def getvalue(self):
        # A cut may split a multi-byte character; replace the broken tail.
        return b"".join(self._parts).decode("utf-8", "replace")


@contextlib.contextmanager
def captured_output(limit=DEFAULT_LIMIT):
    """Swap sys.stdout/sys.stderr for capped writers; always restore them."""
    out, err = CappedWriter(limit, sniff_reports=True), CappedWriter(limit)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = saved


# Blender writes each operator report with ONE `sys.stdout.write("Type: msg\n")`
# call, while `print()` writes the text and the newline separately; matching
# whole writes tells reports from a script printing "Info: ..." itself.
_REPORT_WRITE = re.compile(
    r"\A(Debug|Info|Operator|Property|Warning|Error(?: \((?:Invalid Input|Invalid Context|Out of Memory)\))?): (.*)\n\Z",
    re.S)
MAX_REPORTS = 200


def parse_report_write(s):
    """The report a single stdout write carries, or None."""
    m = _REPORT_WRITE.match(s)
    if not m:
        return None
    kind = re.sub(r"[^A-Z]+", "_", m.group(1).upper()).strip("_")
    return {"type": kind, "message": m.group(2).rstrip("\n")}
