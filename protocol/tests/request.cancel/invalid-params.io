// id is REQUIRED: a string or a number, as the request to cancel was sent.
>> {"jsonrpc":"2.0","method":"request.cancel","params":{},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.id","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"request.cancel","id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.id","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"request.cancel","params":{"id":true},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.id","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"request.cancel","params":{"id":{"id":1}},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.id","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"request.cancel","params":{"id":1,"session":"nope"},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":5}
>> {"jsonrpc":"2.0","method":"request.cancel","params":[1],"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":6}
// As a notification it is carried out (if it finds the request) and never answered.
>> {"jsonrpc":"2.0","method":"request.cancel","params":{"id":"no-such-request"}}
