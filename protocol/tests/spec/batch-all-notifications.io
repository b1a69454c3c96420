// JSON-RPC 2.0 specification, section 7: rpc call Batch (all notifications).
// Nothing is returned for all notification batches.
>> [{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]
