// scene.load takes exactly one of path and data, and checks the file before it looks at the
// session: each of these is -32602 although the session does not exist.
// Neither, or both (null counts as absent): data.path is params itself.
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","path":null,"data":null},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","path":"/tmp/a.blend","data":"QkxFTkRFUi12MzA0UkVOREg="},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":3}
// path must be absolute (the daemon's machine) and readable by the daemon.
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","path":"chair.blend"},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.path","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","path":"/nonexistent/blenderd-transcript/chair.blend"},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.path","reason":"$string"}},"id":5}
// A readable file that is not a .blend (no BLENDER header, not gzip or zstd compressed).
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","path":"/dev/null"},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.path","reason":"$string"}},"id":6}
// data must be base64, of a .blend (here a ZIP header).
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","data":"not base64!"},"id":7}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.data","reason":"$string"}},"id":7}
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","data":"UEsDBGhlbGxv"},"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.data","reason":"$string"}},"id":8}
// Wrong types, a missing session, an unknown member.
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","path":["/tmp/a.blend"]},"id":9}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.path","reason":"$string"}},"id":9}
>> {"jsonrpc":"2.0","method":"scene.load","params":{"path":"/tmp/a.blend"},"id":10}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":10}
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","file":"/tmp/a.blend"},"id":11}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.file","reason":"$string"}},"id":11}
