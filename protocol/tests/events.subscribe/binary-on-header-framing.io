// @framing: header
// On a header-framed connection binary delivery is accepted.
>> {"jsonrpc":"2.0","method":"events.subscribe","params":{"all":true,"delivery":"binary"},"id":1}
<< {"jsonrpc":"2.0","result":{"subscription":"$string","all":true,"delivery":"binary"},"id":1}
