// scene.export checks its params before it looks at the session: each of these is -32602
// (data.path names the param) although the session does not exist.
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.format","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"3ds"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.format","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"GLB"},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.format","reason":"$string"}},"id":3}
// A selection names at least one object, none empty.
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"glb","selection":[]},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.selection","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"glb","selection":["Chair",""]},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.selection[1]","reason":"$string"}},"id":5}
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"glb","delivery":"ftp"},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":6}
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"glb","timeout_s":-1},"id":7}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout_s","reason":"$string"}},"id":7}
// The path is the daemon's to choose.
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"glb","path":"/tmp/x.glb"},"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.path","reason":"$string"}},"id":8}
// Valid params, an unknown session: -32001.
>> {"jsonrpc":"2.0","method":"scene.export","params":{"session":"nope","format":"obj","selection":["Chair"],"delivery":"path"},"id":9}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":9}
