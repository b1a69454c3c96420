"""JSON-RPC error codes shared by the daemon and the worker.

The numbers are the contract of ARCHITECTURE.md ("Error codes"); the Swift side
has the same table. Keep them in one place so a worker never invents a code.
"""

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

UNKNOWN_SESSION = -32001
NO_INSTANCE = -32002
SANDBOX_VIOLATION = -32003
TIMEOUT = -32004
INSTANCE_CRASHED = -32005
CANCELLED = -32006
SCRIPT_ERROR = -32010
RENDER_ERROR = -32011
UNAUTHORIZED = -32020
OVERLOADED = -32029

NAMES = {
    PARSE_ERROR: "parse error",
    INVALID_REQUEST: "invalid request",
    METHOD_NOT_FOUND: "method not found",
    INVALID_PARAMS: "invalid params",
    INTERNAL_ERROR: "internal error",
    UNKNOWN_SESSION: "unknown session",
    NO_INSTANCE: "no instance fits",
    SANDBOX_VIOLATION: "sandbox violation",
    TIMEOUT: "timeout",
    INSTANCE_CRASHED: "instance crashed",
    CANCELLED: "cancelled",
    SCRIPT_ERROR: "script error",
    RENDER_ERROR: "render error",
    UNAUTHORIZED: "unauthorized",
    OVERLOADED: "overloaded",
}


class RpcError(Exception):
    """An error that becomes a JSON-RPC error object.

    Handlers raise it; the serve loop turns it into the response, so no handler
    builds error dicts by hand.
    """

    def __init__(self, code, message=None, data=None):
        self.code = int(code)
        self.message = message or NAMES.get(self.code, "error")
        self.data = data
        super().__init__(self.message)

    def to_dict(self):
        error = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    @classmethod
    def from_dict(cls, error):
        return cls(error.get("code", INTERNAL_ERROR), error.get("message"), error.get("data"))

    def __repr__(self):
        return "RpcError(%d, %r)" % (self.code, self.message)
