// An unknown session id: -32001 naming it. Params are checked first.
>> {"jsonrpc":"2.0","method":"api.describe","params":{"session":"nope","target":"ShaderNodeBsdfPrincipled"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"api.describe","params":{"session":"nope"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.target","reason":"$string"}},"id":2}
