// job.submit checks every param before it looks at the scene source: each of these is -32602
// although the session does not exist and no Blender is configured. data.path names the param.
// frames is required: a string of frame numbers, ranges and stepped ranges.
>> {"jsonrpc":"2.0","method":"job.submit","id":1,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg="}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"job.submit","id":2,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":""}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":2}
// A range that runs backwards, a zero step, a step without a range, a negative frame, past MAXFRAME.
>> {"jsonrpc":"2.0","method":"job.submit","id":3,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"10-1"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"job.submit","id":4,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-10:0"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":4}
>> {"jsonrpc":"2.0","method":"job.submit","id":5,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"5:2"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":5}
>> {"jsonrpc":"2.0","method":"job.submit","id":6,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"-3"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":6}
>> {"jsonrpc":"2.0","method":"job.submit","id":7,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1,2,,3"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":7}
>> {"jsonrpc":"2.0","method":"job.submit","id":8,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1048575"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":8}
>> {"jsonrpc":"2.0","method":"job.submit","id":9,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":[1,2,3]}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frames","reason":"$string"}},"id":9}
// Render settings out of range or unknown.
>> {"jsonrpc":"2.0","method":"job.submit","id":10,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","chunk":0}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.chunk","reason":"$string"}},"id":10}
>> {"jsonrpc":"2.0","method":"job.submit","id":11,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","engine":"POVRAY"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.engine","reason":"$string"}},"id":11}
>> {"jsonrpc":"2.0","method":"job.submit","id":12,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","samples":0}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.samples","reason":"$string"}},"id":12}
>> {"jsonrpc":"2.0","method":"job.submit","id":13,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","resolution":[8,8]}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.resolution","reason":"$string"}},"id":13}
>> {"jsonrpc":"2.0","method":"job.submit","id":14,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","resolution":[640]}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.resolution","reason":"$string"}},"id":14}
>> {"jsonrpc":"2.0","method":"job.submit","id":15,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","format":"GIF"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.format","reason":"$string"}},"id":15}
>> {"jsonrpc":"2.0","method":"job.submit","id":16,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","camera":""}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.camera","reason":"$string"}},"id":16}
>> {"jsonrpc":"2.0","method":"job.submit","id":17,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","timeout_s":0}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout_s","reason":"$string"}},"id":17}
>> {"jsonrpc":"2.0","method":"job.submit","id":18,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","blender":">=banana"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blender","reason":"$string"}},"id":18}
// output must be an absolute directory, outside the daemon's state directory.
>> {"jsonrpc":"2.0","method":"job.submit","id":19,"params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24","output":"renders/shot1"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.output","reason":"$string"}},"id":19}
// Exactly one of blend, data and session (null counts as absent): data.path is params itself.
>> {"jsonrpc":"2.0","method":"job.submit","id":20,"params":{"frames":"1-24"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":20}
>> {"jsonrpc":"2.0","method":"job.submit","id":21,"params":{"frames":"1-24","blend":"/tmp/a.blend","data":"QkxFTkRFUi12MzA0UkVOREg="}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":21}
>> {"jsonrpc":"2.0","method":"job.submit","id":22,"params":{"frames":"1-24","data":"QkxFTkRFUi12MzA0UkVOREg=","session":"nope"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":22}
>> {"jsonrpc":"2.0","method":"job.submit","id":23,"params":{"frames":"1-24","blend":null,"data":null,"session":null}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":23}
// blend must be an absolute, readable .blend; data base64 of a .blend; checkpoint goes with session.
>> {"jsonrpc":"2.0","method":"job.submit","id":24,"params":{"frames":"1-24","blend":"shot.blend"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blend","reason":"$string"}},"id":24}
>> {"jsonrpc":"2.0","method":"job.submit","id":25,"params":{"frames":"1-24","blend":"/nonexistent/blenderd-transcript/shot.blend"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blend","reason":"$string"}},"id":25}
>> {"jsonrpc":"2.0","method":"job.submit","id":26,"params":{"frames":"1-24","blend":"/dev/null"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.blend","reason":"$string"}},"id":26}
>> {"jsonrpc":"2.0","method":"job.submit","id":27,"params":{"frames":"1-24","data":"not base64!"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.data","reason":"$string"}},"id":27}
>> {"jsonrpc":"2.0","method":"job.submit","id":28,"params":{"frames":"1-24","data":"UEsDBGhlbGxv"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.data","reason":"$string"}},"id":28}
>> {"jsonrpc":"2.0","method":"job.submit","id":29,"params":{"frames":"1-24","data":"QkxFTkRFUi12MzA0UkVOREg=","checkpoint":"c1"}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.checkpoint","reason":"$string"}},"id":29}
// An unknown member, and params by position.
>> {"jsonrpc":"2.0","method":"job.submit","id":30,"params":{"frames":"1-24","data":"QkxFTkRFUi12MzA0UkVOREg=","frame":1}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.frame","reason":"$string"}},"id":30}
>> {"jsonrpc":"2.0","method":"job.submit","params":["1-24"],"id":31}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params","reason":"$string"}},"id":31}
// Params first: a bad chunk with an unknown session is -32602, not -32001.
>> {"jsonrpc":"2.0","method":"job.submit","id":32,"params":{"frames":"1-24","session":"nope","chunk":-1}}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.chunk","reason":"$string"}},"id":32}
// Valid params and an unknown session: -32001 naming it.
>> {"jsonrpc":"2.0","method":"job.submit","params":{"frames":"1-24","session":"nope"},"id":33}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":33}
>> {"jsonrpc":"2.0","method":"job.submit","params":{"frames":"1-24","session":"nope","checkpoint":"c3"},"id":34}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":34}
