// Replayed on a daemon with no Blender launcher configured and no GUI attached: nothing can ever
// fit, so session.open fails at once with -32002 instead of waiting. data.requirements echoes the
// requirements as understood (device always, defaulted to "auto"; the others only when given;
// blender trimmed); data.available lists what the daemon can offer: nothing. reason is for humans.
>> {"jsonrpc":"2.0","method":"session.open","params":{},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto"},"available":[]}},"id":1}
// params absent is the same as {}.
>> {"jsonrpc":"2.0","method":"session.open","id":2}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto"},"available":[]}},"id":2}
>> {"jsonrpc":"2.0","method":"session.open","params":{"device":"cpu","headless":true,"blender":" >=4.2,<5 ","engine":"CYCLES","timeout_s":30,"idle_timeout_s":120},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"cpu","headless":true,"blender":">=4.2,<5","engine":"CYCLES"},"available":[]}},"id":3}
// An optional member given as null counts as absent.
>> {"jsonrpc":"2.0","method":"session.open","params":{"device":null,"blender":"*","headless":false},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto","blender":"*","headless":false},"available":[]}},"id":4}
