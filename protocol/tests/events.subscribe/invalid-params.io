// Exactly one of session and all: true. Neither, or both: -32602 at params.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"events.subscribe","id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":false},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"session":"s0","all":true},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":4}
// Types and unknown members.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":"yes"},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.all","reason":"$string"}},"id":5}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"session":7},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":6}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true,"events":["exec.result"]},"id":7}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.events","reason":"$string"}},"id":7}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":[true],"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":8}
// delivery is none, inline, binary or path.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true,"delivery":"base64"},"id":9}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":9}
// Params are checked before the session is looked up: a bad delivery with an unknown session is -32602.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"session":"s0","delivery":"base64"},"id":10}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":10}
