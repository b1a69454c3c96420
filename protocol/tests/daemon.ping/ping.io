// daemon.ping takes no params: absent or {}. The result is always {"pong": true}.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":1}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":1}
>> {"jsonrpc":"2.0","method":"daemon.ping","params":{},"id":2}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":2}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":"ping-3"}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":"ping-3"}
// Member order in the request does not matter; unknown Request members are ignored.
>> {"id":4,"params":{},"method":"daemon.ping","jsonrpc":"2.0","x-trace":"abc"}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":4}
