// A session id that does not exist (never opened, closed, expired): -32001 naming it.
>> {"jsonrpc":"2.0","method":"session.close","params":{"session":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"session.close","params":{},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"session.close","params":{"session":"nope","force":true},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.force","reason":"$string"}},"id":3}
