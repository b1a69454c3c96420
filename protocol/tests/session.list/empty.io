// session.list lists every open session of the daemon (every client's). With none open: [].
// (No session can be opened on a daemon without Blender launchers.)
>> {"jsonrpc":"2.0","method":"session.list","id":1}
<< {"jsonrpc":"2.0","result":{"sessions":[]},"id":1}
>> {"jsonrpc":"2.0","method":"session.list","params":{},"id":2}
<< {"jsonrpc":"2.0","result":{"sessions":[]},"id":2}
// A failed session.open leaves nothing behind.
>> {"jsonrpc":"2.0","method":"session.open","params":{},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto"},"available":[]}},"id":3}
>> {"jsonrpc":"2.0","method":"session.list","id":4}
<< {"jsonrpc":"2.0","result":{"sessions":[]},"id":4}
>> {"jsonrpc":"2.0","method":"session.list","params":{"mine":true},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.mine","reason":"$string"}},"id":5}
