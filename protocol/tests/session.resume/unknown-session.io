// The session is looked up before the token is compared: an unknown id is -32001 whatever the
// token. (A wrong token for an existing session is -32020 with reason "bad_token".)
>> {"jsonrpc":"2.0","method":"session.resume","params":{"session":"nope","token":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"session.resume","params":{"session":"nope"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.token","reason":"$string"}},"id":2}
