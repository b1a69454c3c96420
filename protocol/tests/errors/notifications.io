// The daemon never replies to a valid notification, whatever goes wrong with it.
>> {"jsonrpc":"2.0","method":"no.such.method"}
>> {"jsonrpc":"2.0","method":"daemon.ping","params":[]}
>> {"jsonrpc":"2.0","method":"daemon.info","params":{"bogus":1}}
>> {"jsonrpc":"2.0","method":"rpc.discover"}
