// worker.attach is the add-on's first request (protocol/worker.md). The token is checked before
// anything else: a wrong one is -32020 with reason "bad_token", and the connection stays a client
// connection (usable, as the sentinel shows).
>> {"jsonrpc":"2.0","method":"worker.attach","params":{"token":"not-the-token","protocol":1,"kind":"gui","headless":false,"pid":4242,"blender":{"version":"4.4.0","version_tuple":[4,4,0],"version_string":"4.4.0"},"python":"3.11.7","engines":["BLENDER_EEVEE_NEXT","BLENDER_WORKBENCH","CYCLES"],"devices":[],"startup_ms":0},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32020,"message":"Unauthorized","data":{"reason":"bad_token"}},"id":1}
>> {"jsonrpc":"2.0","method":"worker.attach","params":{"token":"","protocol":1,"kind":"gui","blender":{"version":"4.4.0"}},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32020,"message":"Unauthorized","data":{"reason":"bad_token"}},"id":2}
