// The daemon echoes the id as sent: same type and value.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":0}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":0}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":-7}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":-7}
// Beyond 2^53: must not go through a binary double (9007199254740993 is not representable).
>> {"jsonrpc":"2.0","method":"daemon.ping","id":9007199254740993}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":9007199254740993}
// Fractional ids SHOULD NOT be used, but are echoed.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":1.5}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":1.5}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":""}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":""}
>> {"jsonrpc":"2.0","method":"daemon.ping","id":"\u00e9\ud83d\ude00 \"quoted\""}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":"é😀 \"quoted\""}
// A string that looks like a number stays a string.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":"5"}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":"5"}
// id null is discouraged, but it is a request (not a notification): it is answered, with id null.
>> {"jsonrpc":"2.0","method":"daemon.ping","id":null}
<< {"jsonrpc":"2.0","result":{"pong":true},"id":null}
