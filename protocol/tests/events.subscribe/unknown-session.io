// A session that does not exist (never opened, closed, expired): -32001 naming it.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"session":"s0123456789abcdef0123456789abcdef"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"s0123456789abcdef0123456789abcdef"}},"id":1}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"session":"s0","delivery":"inline"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"s0"}},"id":2}
