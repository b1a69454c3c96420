// JSON nesting depth limit: 128 (the outermost object or array is level 1).
// Exactly 128 levels parse (then params.a is an unknown member of daemon.ping's params):
>> {"jsonrpc":"2.0","method":"daemon.ping","params":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.a","reason":"$string"}},"id":1}
// 129 levels: -32600 nesting_too_deep; the id is not read, and the connection stays usable.
>> {"jsonrpc":"2.0","method":"daemon.ping","params":{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"nesting_too_deep","limit":128}},"id":null}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":3}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":3}
