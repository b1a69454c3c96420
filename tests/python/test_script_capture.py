import sys

from blenderd.script import capture
from blenderd.script.capture import CappedWriter


def test_capped_writer_truncates_and_flags():
    w = CappedWriter(limit=10)
    w.write("12345")
    w.write("67890abc")
    assert w.getvalue() == "1234567890" and w.truncated and w.dropped_bytes == 3


def test_cut_in_multibyte_character_is_replaced_not_raised():
    w = CappedWriter(limit=4)
    w.write("ab\u2603")  # snowman is 3 bytes; only 2 fit
    assert w.getvalue().startswith("ab") and w.truncated


def test_captured_output_restores_streams_even_on_error():
    saved = sys.stdout, sys.stderr
    try:
        with capture.captured_output(100) as (out, err):
            print("to out")
            print("to err", file=sys.stderr)
            raise RuntimeError
    except RuntimeError:
        pass
    assert (sys.stdout, sys.stderr) == saved
    assert out.getvalue() == "to out\n" and err.getvalue() == "to err\n"


def test_reports_are_single_writes_not_prints():
    with capture.captured_output(1000) as (out, _):
        sys.stdout.write("Info: Saved \"x.blend\"\n")  # how Blender writes a report
        sys.stdout.write("Error (Invalid Input): bad\n")
        print("Warning: printed by the script")  # two writes: not a report
    assert out.reports == [{"type": "INFO", "message": 'Saved "x.blend"'},
                           {"type": "ERROR_INVALID_INPUT", "message": "bad"}]
    assert "printed by the script" in out.getvalue()


def test_zero_limit_keeps_nothing():
    w = CappedWriter(limit=0)
    w.write("x")
    assert w.getvalue() == "" and w.truncated
