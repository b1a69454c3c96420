// daemon.info with default limits. capabilities.methods lists exactly the available methods,
// sorted: update this file when a method lands. instances and sessions are counts (0 on a daemon
// with no Blender launchers, but files do not rely on the daemon's configuration). state_dir is
// the daemon's state directory (the runner's daemon gets a fresh temporary one). sandbox is absent:
// the runner's daemon spawns nothing and is configured without a sandbox tier (blenderd itself
// always has one, strict by default).
>> {"jsonrpc":"2.0","method":"daemon.info","id":1}
<< {"jsonrpc":"2.0","id":1,"result":{"name":"blenderd","version":"$string","protocol_version":"0.2","capabilities":{"framings":["ndjson","header"],"attachments":true,"max_frame_bytes":67108864,"methods":["api.describe","daemon.info","daemon.ping","instance.list","instance.spawn","instance.stop","job.cancel","job.status","job.submit","request.cancel","scene.checkpoint","scene.checkpoints","scene.info","scene.load","scene.object","scene.restore","script.exec","session.close","session.list","session.open","session.resume","worker.attach"]},"uptime_s":"$number","connections":"$integer","pid":"$integer","instances":"$integer","sessions":"$integer","state_dir":"$string"}}
>> {"jsonrpc":"2.0","method":"daemon.info","params":{},"id":2}
<< {"jsonrpc":"2.0","id":2,"result":{"name":"blenderd","version":"$string","protocol_version":"0.2","capabilities":{"framings":["ndjson","header"],"attachments":true,"max_frame_bytes":67108864,"methods":["api.describe","daemon.info","daemon.ping","instance.list","instance.spawn","instance.stop","job.cancel","job.status","job.submit","request.cancel","scene.checkpoint","scene.checkpoints","scene.info","scene.load","scene.object","scene.restore","script.exec","session.close","session.list","session.open","session.resume","worker.attach"]},"uptime_s":"$number","connections":"$integer","pid":"$integer","instances":"$integer","sessions":"$integer","state_dir":"$string"}}
