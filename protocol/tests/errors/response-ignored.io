// The daemon sends no requests to clients in protocol 0.1, so a Response object from a client
// answers nothing: it is ignored (and logged), not answered.
>> {"jsonrpc":"2.0","result":{"pong":true},"id":1}
>> {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":2}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":3}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":3}
