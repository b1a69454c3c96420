// @framing: ndjson
// job.frame's binary delivery sends each frame as an attachment frame, which only header framing
// can carry: on an NDJSON connection it is -32602 at params.delivery, before the session is looked up.
>> {"jsonrpc":"2.0","method":"job.submit","params":{"session":"nope","frames":"1-4","delivery":"binary"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":1}
// An unknown delivery is -32602 in any framing.
>> {"jsonrpc":"2.0","method":"job.submit","params":{"session":"nope","frames":"1-4","delivery":"carrier-pigeon"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":2}
// inline and path work in either framing (here the session is unknown).
>> {"jsonrpc":"2.0","method":"job.submit","params":{"session":"nope","frames":"1-4","delivery":"inline"},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":3}
>> {"jsonrpc":"2.0","method":"job.submit","params":{"session":"nope","frames":"1-4","delivery":"path"},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":4}
