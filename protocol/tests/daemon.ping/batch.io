// A batch gets one array with a response per non-notification element, in any order.
>> [{"jsonrpc":"2.0","method":"daemon.ping","id":1},{"jsonrpc":"2.0","method":"daemon.ping","id":"two"},{"jsonrpc":"2.0","method":"daemon.ping"}]
<< [{"jsonrpc":"2.0","result":{"pong":true},"id":"two"},{"jsonrpc":"2.0","result":{"pong":true},"id":1}]
// A batch of one is still a batch: the reply is an array.
>> [{"jsonrpc":"2.0","method":"daemon.ping","id":3}]
<< [{"jsonrpc":"2.0","result":{"pong":true},"id":3}]
