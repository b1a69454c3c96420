// -32700 carries data {"reason": <human-readable text>}; id is null. In both framings the
// connection stays usable: the next line (or frame) is a new message.
// @raw: allowed
>> {"jsonrpc":"2.0","method":"daemon.ping","id":1
<< {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":{"reason":"$string"}},"id":null}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":2}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":2}
// Not JSON at all.
>> hello
<< {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":{"reason":"$string"}},"id":null}
// Trailing content after the value.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":3} {"jsonrpc":"2.0","method":"daemon.ping","id":4}
<< {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":{"reason":"$string"}},"id":null}
// JSON5/JavaScript extensions are not JSON.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":5,}
<< {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":{"reason":"$string"}},"id":null}
>> {'jsonrpc':'2.0','method':'daemon.ping','id':6}
<< {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":{"reason":"$string"}},"id":null}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":NaN}
<< {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":{"reason":"$string"}},"id":null}
// A lone surrogate escape is not a valid string.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":"\ud800"}
<< {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":{"reason":"$string"}},"id":null}
// Duplicate member names are rejected rather than resolved either way.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":7,"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error","data":{"reason":"$string"}},"id":null}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":9}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":9}
