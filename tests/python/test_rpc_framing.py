import pytest

from blenderd.rpc import framing
from blenderd.rpc.framing import Frame, FramingError, HeaderDecoder, LineDecoder, OversizeFrame


def frames_of(decoder, chunks):
    out = []
    for chunk in chunks:
        out += decoder.feed(chunk)
    return out


STREAM_PARTS = [
    (b'{"jsonrpc":"2.0","method":"a"}', None),
    ('{"x":"h\u00e9llo \u2603"}'.encode("utf-8"), None),
    (bytes(range(256)) + b"\r\n\r\nContent-Length: 3\r\n\r\n", framing.BINARY_CONTENT_TYPE),
    (b"", None),
    (b"{}", "application/vscode-jsonrpc; charset=utf-8"),
]


def stream():
    return b"".join(framing.encode_frame(body, ct) for body, ct in STREAM_PARTS)


def expected():
    return [Frame(body, ct) for body, ct in STREAM_PARTS]


def test_roundtrip_whole():
    assert frames_of(HeaderDecoder(), [stream()]) == expected()


def test_split_at_every_byte_boundary():
    data = stream()
    for cut in range(len(data) + 1):
        assert frames_of(HeaderDecoder(), [data[:cut], data[cut:]]) == expected(), cut


def test_split_at_every_pair_of_boundaries():
    data = stream()[:120]  # first two frames and part of the third: O(n^2) stays fast
    whole = frames_of(HeaderDecoder(), [data])
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            assert frames_of(HeaderDecoder(), [data[:i], data[i:j], data[j:]]) == whole


def test_byte_by_byte():
    data = stream()
    assert frames_of(HeaderDecoder(), [data[i:i + 1] for i in range(len(data))]) == expected()


def test_binary_flag_and_media_type_parameters():
    frame = HeaderDecoder().feed(framing.encode_frame(b"\x00", "Application/Octet-Stream; x=1"))[0]
    assert frame.is_binary
    assert not Frame(b"{}").is_binary


def test_header_names_case_insensitive_and_unknown_headers_ignored():
    data = b"content-length: 2\r\nX-Whatever: yes\r\n\r\n{}"
    assert HeaderDecoder().feed(data) == [Frame(b"{}")]


def test_oversize_frame_is_skipped_and_stream_stays_in_sync():
    big = framing.encode_frame(b"x" * 100)
    small = framing.encode_frame(b"{}")
    data = big + small
    for cut in range(len(data) + 1):
        dec = HeaderDecoder(max_frame=10)
        events = frames_of(dec, [data[:cut], data[cut:]])
        assert events == [OversizeFrame(100, 10), Frame(b"{}")], cut
        assert dec.idle


def test_oversize_body_is_not_buffered():
    dec = HeaderDecoder(max_frame=10)
    dec.feed(b"Content-Length: 1000000\r\n\r\n")
    dec.feed(b"y" * 500000)
    assert len(dec._buf) == 0


@pytest.mark.parametrize("header", [
    b"Content-Type: x\r\n\r\n",                       # no Content-Length
    b"Content-Length: -1\r\n\r\n",
    b"Content-Length: 12abc\r\n\r\n",
    b"Content-Length: 1\r\nContent-Length: 2\r\n\r\n",  # conflicting
    b"garbage line\r\n\r\n",
    b"Content-Length: \xff\r\n\r\n",
])
def test_bad_header_is_fatal(header):
    dec = HeaderDecoder()
    with pytest.raises(FramingError):
        dec.feed(header)
    with pytest.raises(FramingError):
        dec.feed(b"Content-Length: 2\r\n\r\n{}")  # refuses to guess where frames are


def test_header_too_long_without_terminator():
    dec = HeaderDecoder(max_header=64)
    with pytest.raises(FramingError):
        dec.feed(b"X-Pad: " + b"a" * 100)


def test_idle_tracks_partial_frames():
    dec = HeaderDecoder()
    assert dec.idle
    dec.feed(b"Content-Length: 2\r\n\r\n{")
    assert not dec.idle
    dec.feed(b"}")
    assert dec.idle


def test_ndjson_split_everywhere_blank_lines_and_crlf():
    data = b'{"a":1}\n\n  \r\n{"b":"\xe2\x98\x83"}\r\n{"c":3}\n'
    want = [Frame(b'{"a":1}'), Frame(b'{"b":"\xe2\x98\x83"}'), Frame(b'{"c":3}')]
    for cut in range(len(data) + 1):
        assert frames_of(LineDecoder(), [data[:cut], data[cut:]]) == want


def test_ndjson_oversize_line_skipped():
    data = b"x" * 50 + b"\n" + b'{"ok":1}\n'
    for cut in range(len(data) + 1):
        events = frames_of(LineDecoder(max_frame=10), [data[:cut], data[cut:]])
        assert [type(e) for e in events] == [OversizeFrame, Frame], cut
        assert events[0].length == 50 and events[1].body == b'{"ok":1}'


def test_encode_line_rejects_newlines():
    assert framing.encode_line(b"{}") == b"{}\n"
    with pytest.raises(ValueError):
        framing.encode_line(b"{\n}")
