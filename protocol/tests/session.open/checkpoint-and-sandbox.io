// checkpoint is auto or manual; sandbox is strict, standard or trusted. Anything else is -32602
// naming the member, before any instance is looked for.
>> {"jsonrpc":"2.0","method":"session.open","params":{"checkpoint":"sometimes"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.checkpoint","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"session.open","params":{"checkpoint":"AUTO"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.checkpoint","reason":"$string"}},"id":2}
>> {"jsonrpc":"2.0","method":"session.open","params":{"checkpoint":true},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.checkpoint","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"session.open","params":{"sandbox":"paranoid"},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.sandbox","reason":"$string"}},"id":4}
// trusted is only an attached GUI Blender: headless true contradicts it.
>> {"jsonrpc":"2.0","method":"session.open","params":{"sandbox":"trusted","headless":true},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.headless","reason":"$string"}},"id":5}
// Valid values reach the instance search, which fails on this daemon (no launcher, no GUI).
// trusted asks for an attached GUI: headless false in the requirements as understood.
>> {"jsonrpc":"2.0","method":"session.open","params":{"checkpoint":"manual"},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto"},"available":[]}},"id":6}
>> {"jsonrpc":"2.0","method":"session.open","params":{"checkpoint":null,"sandbox":null},"id":7}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto"},"available":[]}},"id":7}
>> {"jsonrpc":"2.0","method":"session.open","params":{"sandbox":"trusted","checkpoint":"auto"},"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto","headless":false},"available":[]}},"id":8}
