// daemon.info with default limits. capabilities.methods lists exactly the available methods,
// sorted: update this file when a method lands.
>> {"jsonrpc":"2.0","method":"daemon.info","id":1}
<< {"jsonrpc":"2.0","id":1,"result":{"name":"blenderd","version":"$string","protocol_version":"0.1","capabilities":{"framings":["ndjson","header"],"attachments":true,"max_frame_bytes":67108864,"methods":["daemon.info","daemon.ping"]},"uptime_s":"$number","connections":"$integer","pid":"$integer"}}
>> {"jsonrpc":"2.0","method":"daemon.info","params":{},"id":2}
<< {"jsonrpc":"2.0","id":2,"result":{"name":"blenderd","version":"$string","protocol_version":"0.1","capabilities":{"framings":["ndjson","header"],"attachments":true,"max_frame_bytes":67108864,"methods":["daemon.info","daemon.ping"]},"uptime_s":"$number","connections":"$integer","pid":"$integer"}}
