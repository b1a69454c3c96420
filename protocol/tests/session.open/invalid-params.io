// session.open validates its params before looking for an instance: -32602 with data.path naming
// the offending member. reason is human-readable (for a bad blender range it says how to write one).
>> {"jsonrpc":"2.0","method":"session.open","params":{"device":"tpu"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.device","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"session.open","params":{"device":"GPU"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.device","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"session.open","params":{"blender":">=banana"},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blender","reason":"$string"}},"id":3}
// Empty clauses, a comparator without a version, more than three parts, a compared wildcard.
>> {"jsonrpc":"2.0","method":"session.open","params":{"blender":""},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blender","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"session.open","params":{"blender":">=4.2,,<5"},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blender","reason":"$string"}},"id":5}
>> {"jsonrpc":"2.0","method":"session.open","params":{"blender":">="},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blender","reason":"$string"}},"id":6}
>> {"jsonrpc":"2.0","method":"session.open","params":{"blender":"4.4.0.1"},"id":7}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blender","reason":"$string"}},"id":7}
>> {"jsonrpc":"2.0","method":"session.open","params":{"blender":">*"},"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blender","reason":"$string"}},"id":8}
// Unknown members are reported, not ignored.
>> {"jsonrpc":"2.0","method":"session.open","params":{"gpu":true},"id":9}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.gpu","reason":"$string"}},"id":9}
>> {"jsonrpc":"2.0","method":"session.open","params":{"requirements":{"blender":">=4.2"}},"id":10}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.requirements","reason":"$string"}},"id":10}
// Wrong types.
>> {"jsonrpc":"2.0","method":"session.open","params":{"headless":"yes"},"id":11}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.headless","reason":"$string"}},"id":11}
>> {"jsonrpc":"2.0","method":"session.open","params":{"blender":4.2},"id":12}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blender","reason":"$string"}},"id":12}
>> {"jsonrpc":"2.0","method":"session.open","params":{"timeout_s":"60"},"id":13}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout_s","reason":"$string"}},"id":13}
// Time limits are seconds in (0, 86400].
>> {"jsonrpc":"2.0","method":"session.open","params":{"timeout_s":0},"id":14}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout_s","reason":"$string"}},"id":14}
>> {"jsonrpc":"2.0","method":"session.open","params":{"idle_timeout_s":-1},"id":15}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.idle_timeout_s","reason":"$string"}},"id":15}
>> {"jsonrpc":"2.0","method":"session.open","params":{"idle_timeout_s":86401},"id":16}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.idle_timeout_s","reason":"$string"}},"id":16}
>> {"jsonrpc":"2.0","method":"session.open","params":[">=4.2"],"id":17}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":17}
