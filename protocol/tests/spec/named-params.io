// JSON-RPC 2.0 specification, section 7: rpc call with named parameters.
>> {"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}
<< {"jsonrpc": "2.0", "result": 19, "id": 3}
>> {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}
<< {"jsonrpc": "2.0", "result": 19, "id": 4}
