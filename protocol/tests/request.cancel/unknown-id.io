// request.cancel finds requests of this connection that are queued or running on a session. An id
// with no such request (never sent, already answered, another method) is -32602 at params.id.
>> {"jsonrpc":"2.0","method":"request.cancel","params":{"id":"no-such-request"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.id","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"request.cancel","params":{"id":42},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.id","reason":"$string"}},"id":2}
// A request that was already answered cannot be cancelled.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":3}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":3}
>> {"jsonrpc":"2.0","method":"request.cancel","params":{"id":3},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.id","reason":"$string"}},"id":4}
// Its own id: request.cancel is not a session call.
>> {"jsonrpc":"2.0","method":"request.cancel","params":{"id":5},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.id","reason":"$string"}},"id":5}
