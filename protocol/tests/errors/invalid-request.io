// -32600 carries data {"reason": <token>}. The id is echoed when it could be read, else null.
// jsonrpc absent, or not exactly the string "2.0":
>> {"jsonrpc":"1.0","method":"daemon.ping","id":1}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_jsonrpc"}},"id":1}
>> {"jsonrpc":2.0,"method":"daemon.ping","id":2}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_jsonrpc"}},"id":2}
>> {"method":"daemon.ping","id":3}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_jsonrpc"}},"id":3}
// method absent or not a string:
>> {"jsonrpc":"2.0","method":42,"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_method"}},"id":4}
>> {"jsonrpc":"2.0","method":null,"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_method"}},"id":5}
>> {"jsonrpc":"2.0","id":6}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_method"}},"id":6}
// Without an id an invalid Request is still answered (it is not a valid notification).
>> {"jsonrpc":"2.0","method":["daemon.ping"]}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_method"}},"id":null}
// id of a type other than string, number or null: the id cannot be echoed.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":{"n":7}}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_id"}},"id":null}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":[8]}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_id"}},"id":null}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":true}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_id"}},"id":null}
// params present but neither object nor array (null included):
>> {"jsonrpc":"2.0","method":"daemon.ping","params":"x","id":9}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_params_type"}},"id":9}
>> {"jsonrpc":"2.0","method":"daemon.ping","params":null,"id":10}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_params_type"}},"id":10}
>> {"jsonrpc":"2.0","method":"daemon.ping","params":5,"id":11}
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"invalid_params_type"}},"id":11}
// A message that is valid JSON but not an object or array (after the first line, whose first
// byte chose NDJSON framing):
>> "daemon.ping"
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"not_an_object"}},"id":null}
>> 42
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"not_an_object"}},"id":null}
>> null
<< {"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":{"reason":"not_an_object"}},"id":null}
// The connection is still usable.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":12}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":12}
