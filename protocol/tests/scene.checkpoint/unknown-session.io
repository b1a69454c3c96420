// An unknown session id: -32001 naming it. A label is 1 to 200 characters; null counts as absent.
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{"session":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{"session":"nope","label":"before the legs"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":2}
>> {"jsonrpc":"2.0","method":"scene.checkpoint","params":{"session":"nope","label":null},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":3}
