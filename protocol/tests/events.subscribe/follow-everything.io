// all: true follows every session, instance and job. delivery defaults to none (metadata only).
// The transcript daemon has no launcher, so nothing happens that would be published: the
// sentinel ping after each exchange proves no notification arrives unasked.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true},"id":1}
<< {"jsonrpc":"2.0","result":{"subscription":"$string","all":true,"delivery":"none"},"id":1}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true,"delivery":"path"},"id":2}
<< {"jsonrpc":"2.0","result":{"subscription":"$string","all":true,"delivery":"path"},"id":2}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true,"delivery":"inline"},"id":3}
<< {"jsonrpc":"2.0","result":{"subscription":"$string","all":true,"delivery":"inline"},"id":3}
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true,"delivery":"none"},"id":4}
<< {"jsonrpc":"2.0","result":{"subscription":"$string","all":true,"delivery":"none"},"id":4}
// all: false with a session is the same as the session alone (here unknown: -32001).
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"session":"s0","all":false},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"s0"}},"id":5}
