// Without an id, daemon.info is a notification: no reply.
>> {"jsonrpc":"2.0","method":"daemon.info"}
