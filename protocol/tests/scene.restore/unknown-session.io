// An unknown session id: -32001 naming it. Whether the checkpoint exists is a question about the
// session, so an unknown session is -32001 whatever checkpoint id is given.
>> {"jsonrpc":"2.0","method":"scene.restore","params":{"session":"nope","checkpoint":"c1"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"scene.restore","params":{"session":"nope","checkpoint":"no-such-checkpoint"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":2}
// Params first: both members are required strings, and nothing else is accepted.
>> {"jsonrpc":"2.0","method":"scene.restore","params":{"session":"nope"},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.checkpoint","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"scene.restore","params":{"checkpoint":"c1"},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"scene.restore","params":{"session":"nope","checkpoint":1},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.checkpoint","reason":"$string"}},"id":5}
>> {"jsonrpc":"2.0","method":"scene.restore","params":{"session":"nope","checkpoint":"c1","label":"x"},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.label","reason":"$string"}},"id":6}
