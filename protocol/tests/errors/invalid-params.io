// blenderd methods take params by name. daemon.ping and daemon.info accept absent params or {};
// an array (even empty) or any member gets -32602 with data {"path", "reason"}.
// `reason` is human-readable, so it is not pinned here.
>> {"jsonrpc":"2.0","method":"daemon.ping","params":[],"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"daemon.ping","params":[1],"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"daemon.info","params":[],"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":3}
// Unknown members are reported, not ignored; path names the member.
>> {"jsonrpc":"2.0","method":"daemon.ping","params":{"verbose":true},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.verbose","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"daemon.info","params":{"timeout_s":5},"id":"five"}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout_s","reason":"$string"}},"id":"five"}
