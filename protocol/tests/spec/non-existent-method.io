// JSON-RPC 2.0 specification, section 7: rpc call of non-existent method.
>> {"jsonrpc": "2.0", "method": "foobar", "id": "1"}
<< {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}
