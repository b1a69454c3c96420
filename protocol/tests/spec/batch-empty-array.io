// JSON-RPC 2.0 specification, section 7: rpc call with an empty Array.
// The reply is a single error object, not an array.
>> []
<< {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
