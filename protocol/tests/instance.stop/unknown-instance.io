// An instance id that does not exist is a bad param value: -32602 at params.instance, with
// data.available listing the ids of the live instances ([] here: no launcher, no GUI).
>> {"jsonrpc":"2.0","method":"instance.stop","params":{"instance":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.instance","reason":"$string","available":[]}},"id":1}
>> {"jsonrpc":"2.0","method":"instance.stop","params":{},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.instance","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"instance.stop","params":{"instance":1},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.instance","reason":"$string"}},"id":3}
