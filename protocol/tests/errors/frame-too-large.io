// Frame size limit, here set to 256 bytes (an NDJSON line without its LF; a header-framed body).
// @max-frame-bytes: 256
// Exactly 256 bytes: parsed (then params.pad is an unknown member):
>> {"jsonrpc":"2.0","method":"daemon.ping","params":{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.pad","reason":"$string"}},"id":1}
// 257 bytes: -32600 frame_too_large with the limit; the frame is skipped, not parsed (id null).
>> {"jsonrpc":"2.0","method":"daemon.ping","params":{"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"frame_too_large","limit":256}},"id":null}
// The connection is still usable, and daemon.info reports the limit in force.
>> {"jsonrpc":"2.0","method":"daemon.info","id":3}
<< {"jsonrpc":"2.0","id":3,"result":{"name":"blenderd","version":"$string","protocol_version":"0.2","capabilities":{"framings":["ndjson","header"],"attachments":true,"max_frame_bytes":256,"methods":"$any"},"uptime_s":"$number","connections":"$integer","pid":"$integer","instances":"$integer","sessions":"$integer","state_dir":"$string"}}
