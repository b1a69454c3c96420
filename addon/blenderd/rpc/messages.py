"""JSON-RPC 2.0 messages: build, encode, classify.

Messages are plain dicts on the wire; `Message` is the parsed, classified
view a receiver works with. Encoding refuses NaN/Infinity because they are not
JSON and the daemon's parser would reject the whole frame.
"""

import json

from . import errors
from .errors import RpcError

VERSION = "2.0"


def request(id, method, params=None):
    msg = {"jsonrpc": VERSION, "id": id, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def notification(method, params=None):
    msg = {"jsonrpc": VERSION, "method": method}
    if params is not None:
        msg["params"] = params
    return msg


def response(id, result):
    return {"jsonrpc": VERSION, "id": id, "result": result}


def error_response(id, error):
    if isinstance(error, RpcError):
        error = error.to_dict()
    return {"jsonrpc": VERSION, "id": id, "error": error}


def encode(msg):
    """Compact UTF-8 JSON. Raises ValueError for NaN/Infinity or unserialisable values.

    Lone surrogates (a script printing undecodable bytes, odd exception
    text) become "?" rather than failing the whole reply.
    """
    text = json.dumps(msg, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8", "replace")


class Message:
    """A received message. `kind` is one of request, notification, response,
    error, invalid. `invalid` carries `error` (an RpcError) to answer with,
    addressed to `id` when the id could be read, else null."""

    __slots__ = ("kind", "id", "method", "params", "result", "error", "attachment", "raw")

    def __init__(self, kind, id=None, method=None, params=None, result=None, error=None, raw=None):
        self.kind = kind
        self.id = id
        self.method = method
        self.params = params
        self.result = result
        self.error = error
        self.attachment = None  # bytes of the binary frame this message announced
        self.raw = raw

    @property
    def announced_attachment(self):
        """The `attachment` member ({bytes, mime}) of params or result when it
        means "the next frame is the bytes": one carrying `base64` or `path`
        is delivered inline and announces no frame (protocol/README.md)."""
        holder = self.params if self.kind in ("request", "notification") else self.result
        if isinstance(holder, dict):
            att = holder.get("attachment")
            if (isinstance(att, dict) and isinstance(att.get("bytes"), int) and att["bytes"] >= 0
                    and "base64" not in att and "path" not in att):
                return att
        return None

    def __repr__(self):
        return "Message(%s, id=%r, method=%r)" % (self.kind, self.id, self.method)


def invalid(error, id=None):
    return Message("invalid", id=id, error=error)


def _valid_id(value):
    # JSON-RPC ids are strings, numbers or null; bool is an int subclass in Python
    return value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))


def parse(body):
    """Classify one JSON body. Never raises: bad input becomes an `invalid` Message."""
    try:
        obj = json.loads(body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body)
    except (ValueError, RecursionError) as exc:
        return invalid(RpcError(errors.PARSE_ERROR, "parse error: %s" % exc))
    return classify(obj)


def classify(obj):
    if isinstance(obj, list):
        # The worker protocol has no batches; say so rather than half-support them.
        return invalid(RpcError(errors.INVALID_REQUEST, "batches are not used on the worker channel"))
    if not isinstance(obj, dict):
        return invalid(RpcError(errors.INVALID_REQUEST, "message must be a JSON object"))
    has_id = "id" in obj
    msg_id = obj.get("id")
    if has_id and not _valid_id(msg_id):
        return invalid(RpcError(errors.INVALID_REQUEST, "id must be a string, number or null"))
    if obj.get("jsonrpc") != VERSION:
        return invalid(RpcError(errors.INVALID_REQUEST, 'jsonrpc must be "2.0"'), msg_id)
    if "method" in obj:
        method = obj["method"]
        if not isinstance(method, str):
            return invalid(RpcError(errors.INVALID_REQUEST, "method must be a string"), msg_id)
        params = obj.get("params")
        if params is not None and not isinstance(params, (dict, list)):
            return invalid(RpcError(errors.INVALID_REQUEST, "params must be an object or array"), msg_id)
        kind = "request" if has_id else "notification"
        return Message(kind, id=msg_id, method=method, params=params, raw=obj)
    if "result" in obj and "error" not in obj and has_id:
        return Message("response", id=msg_id, result=obj["result"], raw=obj)
    if "error" in obj and "result" not in obj and has_id:
        err = obj["error"]
        if not isinstance(err, dict) or not isinstance(err.get("code"), int):
            return invalid(RpcError(errors.INVALID_REQUEST, "error must be an object with an integer code"))
        return Message("error", id=msg_id, error=RpcError.from_dict(err), raw=obj)
    return invalid(RpcError(errors.INVALID_REQUEST, "not a request, notification or response"), msg_id)


class Params:
    """By-name params with typed getters that raise -32602 naming the field,
    so every handler validates the same way."""

    _MISSING = object()

    def __init__(self, params):
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise RpcError(errors.INVALID_PARAMS, "params must be an object (by name)")
        self.raw = params

    def _get(self, name, types, type_name, default, required):
        if name not in self.raw or self.raw[name] is None:
            if required:
                raise RpcError(errors.INVALID_PARAMS, "missing param %r" % name, {"param": name})
            return default
        value = self.raw[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise RpcError(errors.INVALID_PARAMS, "param %r must be %s" % (name, type_name), {"param": name})
        return value

    def str(self, name, default=None, required=False):
        return self._get(name, (str,), "a string", default, required)

    def int(self, name, default=None, required=False, minimum=None, maximum=None):
        value = self._get(name, (int,), "an integer", default, required)
        if value is not None and ((minimum is not None and value < minimum) or (maximum is not None and value > maximum)):
            raise RpcError(errors.INVALID_PARAMS, "param %r out of range [%s, %s]" % (name, minimum, maximum), {"param": name})
        return value

    def bool(self, name, default=None, required=False):
        return self._get(name, (bool,), "a boolean", default, required)

    def dict(self, name, default=None, required=False):
        return self._get(name, (dict,), "an object", default, required)
