// @framing: ndjson
// Binary delivery sends each file as an attachment frame, which only header framing
// (Content-Length) can carry: on an NDJSON connection it is -32602 at params.delivery.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true,"delivery":"binary"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":1}
