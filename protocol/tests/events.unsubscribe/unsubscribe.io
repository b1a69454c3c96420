// Ids are e1, e2, ... across the daemon's run, so a transcript cannot know the one it gets (and
// cannot carry it from a reply into a request): the round trip is tested in Swift and Python.
// Here: a connection that holds a subscription still cannot end one it was never given ("e0"
// is never issued), and the connection keeps working.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true},"id":1}
<< {"jsonrpc":"2.0","result":{"subscription":"$string","all":true,"delivery":"none"},"id":1}
>> {"jsonrpc":"2.0","method":"events.unsubscribe","params":{"subscription":"e0"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.subscription","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":3}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":3}
