// An unknown session id: -32001 naming it. Params are checked first.
>> {"jsonrpc":"2.0","method":"scene.object","params":{"session":"nope","name":"Cube"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"scene.object","params":{"session":"nope"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.name","reason":"$string"}},"id":2}
