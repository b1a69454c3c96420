// Valid params and an unknown session id: -32001 naming it. With header framing binary
// delivery is valid too.
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","views":3,"resolution":[64,36],"engine":"EEVEE","samples":4,"format":"EXR","preview":true,"parallel":2,"delivery":"path","seed":null,"timeout_s":120},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":2}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","cameras":["Front","Side"],"scale":0.25,"engine":"WORKBENCH","transparent":true,"seed":7,"device":"cpu","denoise":true},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":3}
