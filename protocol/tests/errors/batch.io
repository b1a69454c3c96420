// Errors inside a batch are elements of the one reply array (in any order); notifications get
// no element, even when they fail.
>> [{"jsonrpc":"2.0","method":"daemon.ping","id":1},{"jsonrpc":"2.0","method":"daemon.ping","params":[],"id":2},{"jsonrpc":"2.0","method":"nope","id":3},{"jsonrpc":"2.0","method":"nope"},{"jsonrpc":"2.0","method":"daemon.ping","params":[]},{"jsonrpc":"1.0","method":"daemon.ping","id":4},"x",[]]
<< [{"jsonrpc":"2.0","result":{"pong":true},"id":1},{"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":2},{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found","data":{"method":"nope"}},"id":3},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_jsonrpc"}},"id":4},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"not_an_object"}},"id":null},{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"not_an_object"}},"id":null}]
// An empty batch gets a single error object, not an array.
>> []
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"empty_batch"}},"id":null}
// A batch whose elements are all notifications gets nothing, even if they fail.
>> [{"jsonrpc":"2.0","method":"nope"},{"jsonrpc":"2.0","method":"daemon.ping","params":{"x":1}}]
