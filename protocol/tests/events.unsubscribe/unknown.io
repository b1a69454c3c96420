// An id that is not one of this connection's live subscriptions: -32602 at params.subscription.
>> {"jsonrpc":"2.0","method":"events.unsubscribe","params":{"subscription":"e999999"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.subscription","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"events.unsubscribe","params":{"subscription":"not-an-id"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.subscription","reason":"$string"}},"id":2}
// subscription is required, a string.
>> {"jsonrpc":"2.0","method":"events.unsubscribe","params":{},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.subscription","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"events.unsubscribe","params":{"subscription":1},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.subscription","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"events.unsubscribe","id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.subscription","reason":"$string"}},"id":5}
