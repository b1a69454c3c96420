// Params are checked completely before the session is looked up: a bad param is -32602 even
// when the session does not exist.
>> {"jsonrpc":"2.0","method":"script.exec","params":{"code":"print(1)"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.code","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":["print(1)"]},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.code","reason":"$string"}},"id":3}
// timeout_s is seconds in (0, 86400].
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":"print(1)","timeout_s":0},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout_s","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":"print(1)","timeout_s":86401},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout_s","reason":"$string"}},"id":5}
// capture_limit is an integer in [0, 67108864].
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":"print(1)","capture_limit":-1},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.capture_limit","reason":"$string"}},"id":6}
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":"print(1)","capture_limit":67108865},"id":7}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.capture_limit","reason":"$string"}},"id":7}
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":"print(1)","capture_limit":1.5},"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.capture_limit","reason":"$string"}},"id":8}
// A misspelt member is reported, not silently ignored.
>> {"jsonrpc":"2.0","method":"script.exec","params":{"session":"nope","code":"print(1)","timeout":5},"id":9}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout","reason":"$string"}},"id":9}
