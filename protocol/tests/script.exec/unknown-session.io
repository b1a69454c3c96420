// An unknown session id: -32001 naming it.
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":"print(1)"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":"print(1)","timeout_s":5,"capture_limit":0},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":2}
