// -32601 carries data {"method": <the name as sent>}, and "did_you_mean" when a method's name is
// close to it (edit distance); clients MUST NOT rely on the suggestion being present.
>> {"jsonrpc":"2.0","method":"no.such.method","id":1}
<< {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":{"method":"no.such.method"}},"id":1}
// Method names are case-sensitive.
>> {"jsonrpc":"2.0","method":"Daemon.Ping","id":2}
<< {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":{"method":"Daemon.Ping","did_you_mean":"daemon.ping"}},"id":2}
// A namespace that exists does not make a name in it exist.
>> {"jsonrpc":"2.0","method":"events.publish","params":{},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":{"method":"events.publish"}},"id":3}
// rpc.* is reserved by JSON-RPC; blenderd defines none (no rpc.discover).
>> {"jsonrpc":"2.0","method":"rpc.discover","id":4}
<< {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":{"method":"rpc.discover"}},"id":4}
>> {"jsonrpc":"2.0","method":"","id":5}
<< {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":{"method":""}},"id":5}
// The test methods of spec/ exist only while spec/ is replayed.
>> {"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":{"method":"subtract"}},"id":6}
