// Valid params (here a .blend header inline) and an unknown session id: -32001 naming it.
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","data":"QkxFTkRFUi12MzA0UkVOREg="},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":1}
>> {"jsonrpc":"2.0","method":"scene.load","params":{"session":"nope","path":null,"data":"QkxFTkRFUi12MzA0UkVOREg="},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":2}
