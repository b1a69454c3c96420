// scene.checkpoints is answered by the daemon from its own records; an unknown session is -32001.
>> {"jsonrpc":"2.0","method":"scene.checkpoints","params":{"session":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
// Params first: a missing or mistyped session, or an unknown member, is -32602.
>> {"jsonrpc":"2.0","method":"scene.checkpoints","params":{},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"scene.checkpoints","params":{"session":null},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"scene.checkpoints","params":{"session":"nope","limit":5},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.limit","reason":"$string"}},"id":4}
