import pytest

from blenderd.rpc import errors, messages
from blenderd.rpc.errors import RpcError
from blenderd.rpc.messages import Params


def test_classify_kinds():
    assert messages.parse(b'{"jsonrpc":"2.0","id":1,"method":"m","params":{}}').kind == "request"
    assert messages.parse(b'{"jsonrpc":"2.0","method":"m"}').kind == "notification"
    assert messages.parse(b'{"jsonrpc":"2.0","id":"a","result":null}').kind == "response"
    err = messages.parse(b'{"jsonrpc":"2.0","id":null,"error":{"code":-32010,"message":"x","data":{"line":3}}}')
    assert err.kind == "error" and err.error.code == errors.SCRIPT_ERROR and err.error.data == {"line": 3}


@pytest.mark.parametrize("body, code", [
    (b"{not json", errors.PARSE_ERROR),
    (b"\xff\xfe", errors.PARSE_ERROR),
    (b"[" * 100000, errors.PARSE_ERROR),  # RecursionError must not escape
    (b"[]", errors.INVALID_REQUEST),
    (b"3", errors.INVALID_REQUEST),
    (b'{"id":1,"method":"m"}', errors.INVALID_REQUEST),
    (b'{"jsonrpc":"2.0","id":true,"method":"m"}', errors.INVALID_REQUEST),
    (b'{"jsonrpc":"2.0","id":1,"method":5}', errors.INVALID_REQUEST),
    (b'{"jsonrpc":"2.0","id":1,"method":"m","params":3}', errors.INVALID_REQUEST),
    (b'{"jsonrpc":"2.0","id":1}', errors.INVALID_REQUEST),
    (b'{"jsonrpc":"2.0","id":1,"error":"x"}', errors.INVALID_REQUEST),
])
def test_invalid_messages(body, code):
    msg = messages.parse(body)
    assert msg.kind == "invalid" and msg.error.code == code


def test_invalid_keeps_id_when_readable():
    assert messages.parse(b'{"jsonrpc":"1.0","id":7,"method":"m"}').id == 7


def test_encode_is_compact_utf8_and_refuses_nan():
    assert messages.encode(messages.notification("m", {"s": "\u2603"})) == \
        '{"jsonrpc":"2.0","method":"m","params":{"s":"\u2603"}}'.encode("utf-8")
    with pytest.raises(ValueError):
        messages.encode(messages.response(1, float("nan")))


def test_error_response_from_rpcerror():
    msg = messages.error_response(3, RpcError(errors.INVALID_PARAMS, data={"param": "x"}))
    assert msg["error"] == {"code": -32602, "message": "invalid params", "data": {"param": "x"}}


def test_announced_attachment():
    att = {"bytes": 3, "mime": "image/png"}
    assert messages.classify(messages.notification("n", {"attachment": att})).announced_attachment == att
    assert messages.classify(messages.response(1, {"attachment": att})).announced_attachment == att
    inline = dict(att, base64="AAAA")
    assert messages.classify(messages.notification("n", {"attachment": inline})).announced_attachment is None
    assert messages.classify(messages.notification("n", {"attachment": {"bytes": -1}})).announced_attachment is None


def test_params_getters():
    p = Params({"s": "x", "i": 3, "b": True, "d": {}})
    assert p.str("s") == "x" and p.int("i") == 3 and p.bool("b") is True and p.dict("d") == {}
    assert p.int("missing", 5) == 5
    for call in (lambda: p.str("i"), lambda: p.int("b"), lambda: p.str("missing", required=True),
                 lambda: p.int("i", maximum=2), lambda: Params([1])):
        with pytest.raises(RpcError) as info:
            call()
        assert info.value.code == errors.INVALID_PARAMS


def test_error_codes_match_architecture():
    # ARCHITECTURE.md "Error codes"; the Swift side has the same table
    assert (errors.UNKNOWN_SESSION, errors.NO_INSTANCE, errors.SANDBOX_VIOLATION, errors.TIMEOUT,
            errors.INSTANCE_CRASHED, errors.CANCELLED, errors.SCRIPT_ERROR, errors.RENDER_ERROR,
            errors.UNAUTHORIZED, errors.OVERLOADED) == (
        -32001, -32002, -32003, -32004, -32005, -32006, -32010, -32011, -32020, -32029)
