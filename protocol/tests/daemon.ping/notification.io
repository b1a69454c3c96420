// Without an id, daemon.ping is a notification: no reply.
>> {"jsonrpc":"2.0","method":"daemon.ping"}
>> {"jsonrpc":"2.0","method":"daemon.ping","params":{}}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":1}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":1}
