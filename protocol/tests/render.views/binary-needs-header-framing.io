// @framing: ndjson
// Binary delivery sends each image as an attachment frame, which only header framing can carry:
// on an NDJSON connection it is -32602 at params.delivery, before the session is looked up.
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","delivery":"binary"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":1}
// inline and path work in either framing (here the session is unknown).
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","delivery":"path"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":2}
