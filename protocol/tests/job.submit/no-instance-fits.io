// Replayed on a daemon with no Blender launcher: a valid job that nothing can ever render fails
// at once with -32002 (it is not queued), and is forgotten. data.requirements are the job's: a
// headless instance of the Blender that wrote the file or newer (this data is the 17-byte header
// of a .blend Blender 3.4 wrote: BLENDER-v304), or the blender param as given.
>> {"jsonrpc":"2.0","method":"job.submit","params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-24"},"id":1}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto","headless":true,"blender":">=3.4"},"available":[]}},"id":1}
>> {"jsonrpc":"2.0","method":"job.submit","params":{"data":"QkxFTkRFUi12MzA0UkVOREg=","frames":"1-10,20,30-40:2","chunk":2,"engine":"workbench","format":"jpeg","resolution":[320,180],"blender":">=4.2"},"id":2}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto","headless":true,"blender":">=4.2"},"available":[]}},"id":2}
// A compressed .blend (here a gzip header) tells no version: any Blender.
>> {"jsonrpc":"2.0","method":"job.submit","params":{"data":"H4sIAAAAAAAAAw==","frames":"1"},"id":3}
<< {"jsonrpc":"2.0","error":{"code":-32002,"message":"No instance fits","data":{"reason":"$string","requirements":{"device":"auto","headless":true},"available":[]}},"id":3}
