// JSON-RPC 2.0 specification, section 7: a Notification.
// No reply to either, not even to `foobar`, which does not exist.
>> {"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}
>> {"jsonrpc": "2.0", "method": "foobar"}
