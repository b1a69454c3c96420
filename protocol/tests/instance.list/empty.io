// instance.list shows every instance that is not dead. Replayed on a daemon with no Blender
// launcher configured (so no warm spare) and no GUI attached: [].
>> {"jsonrpc":"2.0","method":"instance.list","id":1}
<< {"jsonrpc":"2.0","result":{"instances":[]},"id":1}
>> {"jsonrpc":"2.0","method":"instance.list","params":{},"id":2}
<< {"jsonrpc":"2.0","result":{"instances":[]},"id":2}
>> {"jsonrpc":"2.0","method":"instance.list","params":{"state":"ready"},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.state","reason":"$string"}},"id":3}
