// @framing: ndjson
// Binary delivery needs header framing (the file is an attachment frame): -32602 on NDJSON.
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"glb","delivery":"binary"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":1}
