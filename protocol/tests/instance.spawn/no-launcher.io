// Replayed on a daemon with no Blender launcher configured: there is nothing to spawn, so -32002
// with data.available [] (what the daemon could offer). data.requirements is not pinned here.
>> {"jsonrpc":"2.0","method":"instance.spawn","id":1}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":"$any","available":[]}},"id":1}
>> {"jsonrpc":"2.0","method":"instance.spawn","params":{"kind":"module"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":"$any","available":[]}},"id":2}
// Only headless kinds can be spawned: a GUI Blender joins by worker.attach.
>> {"jsonrpc":"2.0","method":"instance.spawn","params":{"kind":"gui"},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.kind","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"instance.spawn","params":{"kind":"docker"},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.kind","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"instance.spawn","params":{"count":2},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.count","reason":"$string"}},"id":5}
