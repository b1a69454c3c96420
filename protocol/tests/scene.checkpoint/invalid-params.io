// Params are checked before the session is looked up: each of these is -32602 although the
// session does not exist.
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"scene.checkpoint","id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{"session":7},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":3}
// A label is a string of 1 to 200 characters.
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{"session":"nope","label":""},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.label","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{"session":"nope","label":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.label","reason":"$string"}},"id":5}
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{"session":"nope","label":3},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.label","reason":"$string"}},"id":6}
// A misspelt member is reported, not silently ignored.
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{"session":"nope","name":"v1"},"id":7}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.name","reason":"$string"}},"id":7}
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":["nope"],"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":8}
