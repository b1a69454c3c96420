// An unknown session id: -32001 naming it. Params are checked first.
>> {"jsonrpc":"2.0","method":"scene.info","params":{"session":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"scene.info","params":{"session":"nope","offset":0,"limit":1000},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":2}
>> {"jsonrpc":"2.0","method":"scene.info","params":{},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":3}
// offset >= 0; limit in [0, 1000].
>> {"jsonrpc":"2.0","method":"scene.info","params":{"session":"nope","offset":-1},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.offset","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"scene.info","params":{"session":"nope","limit":1001},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.limit","reason":"$string"}},"id":5}
