// job.status of a job this daemon does not know (never submitted, or from before a restart: jobs do
// not survive one) is -32602 at params.job; so are a missing or mistyped job and unknown members.
>> {"jsonrpc":"2.0","method":"job.status","params":{"job":"j0123456789abcdef0123456789abcdef"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.job","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"job.status","params":{},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.job","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"job.status","params":{"job":7},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.job","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"job.status","params":{"job":"j1","force":true},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.force","reason":"$string"}},"id":4}
// A job that failed at submission was never created.
>> {"jsonrpc":"2.0","method":"job.submit","params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1"},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto","headless":true,"blender":">=3.4"},"available":[]}},"id":5}
