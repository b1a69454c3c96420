// render.views checks every param before it looks at the session: each of these is -32602
// (data.path names the param) although the session does not exist.
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","views":0},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.views","reason":"$string"}},"id":1}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","views":65},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.views","reason":"$string"}},"id":2}
// views (orbit cameras) or cameras (the scene's), not both; no empty camera name.
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","views":3,"cameras":["Camera"]},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.views","reason":"$string"}},"id":3}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","cameras":["Camera",""]},"id":4}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.cameras[1]","reason":"$string"}},"id":4}
// resolution is [width, height], each 16 to 8192; scale is a fraction of 1920x1080 in [0.1, 1]; not both.
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","resolution":[640]},"id":5}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.resolution","reason":"$string"}},"id":5}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","resolution":[640,8]},"id":6}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.resolution[1]","reason":"$string"}},"id":6}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","scale":1.5},"id":7}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.scale","reason":"$string"}},"id":7}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","scale":0.5,"resolution":[640,360]},"id":8}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.scale","reason":"$string"}},"id":8}
// Engines, devices, formats and deliveries are fixed words (case matters).
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","engine":"octane"},"id":9}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.engine","reason":"$string"}},"id":9}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","device":"tpu"},"id":10}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.device","reason":"$string"}},"id":10}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","format":"png"},"id":11}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.format","reason":"$string"}},"id":11}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","delivery":"email"},"id":12}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.delivery","reason":"$string"}},"id":12}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","samples":0},"id":13}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.samples","reason":"$string"}},"id":13}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","seed":-1},"id":14}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.seed","reason":"$string"}},"id":14}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","parallel":17},"id":15}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.parallel","reason":"$string"}},"id":15}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","timeout_s":0},"id":16}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.timeout_s","reason":"$string"}},"id":16}
// Wrong types, a missing session, an unknown member (output_dir is the daemon's to choose).
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","preview":"yes"},"id":17}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.preview","reason":"$string"}},"id":17}
>> {"jsonrpc":"2.0","method":"render.views","params":{"views":5},"id":18}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.session","reason":"$string"}},"id":18}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","output_dir":"/tmp"},"id":19}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.output_dir","reason":"$string"}},"id":19}
// cameras: names and orbit views (a render.image's orbit passed back); an orbit view's numbers
// are checked, and its unknown members refused, naming the entry.
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","cameras":["Cam",{"azimuth_deg":0,"elevation_deg":95}]},"id":20}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.cameras[1].elevation_deg","reason":"$string"}},"id":20}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","cameras":[{"azimuth_deg":0,"elevation_deg":5,"zoom":2}]},"id":21}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.cameras[0].zoom","reason":"$string"}},"id":21}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","cameras":[{"elevation_deg":5}]},"id":22}
<< {"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params","data":{"path":"params.cameras[0].azimuth_deg","reason":"$string"}},"id":22}
>> {"jsonrpc":"2.0","method":"render.views","params":{"session":"nope","cameras":[{"azimuth_deg":135,"elevation_deg":25,"distance":4.2,"lens":50,"target":[0,0,0.5],"location":[1,2,3],"rotation_euler":[1.1,0,3.9]}]},"id":23}
<< {"jsonrpc":"2.0","error":{"code":-32001,"message":"Unknown session","data":{"session":"nope"}},"id":23}
