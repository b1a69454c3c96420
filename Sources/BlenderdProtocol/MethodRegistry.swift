import JSONRPC

/// Every public method this protocol defines. A test checks this list, the daemon's dispatcher
/// and `protocol/openrpc.json` agree, so a method cannot be added to one and forgotten in another.
public enum MethodRegistry {
    public static var all: [any RPCMethod.Type] {
        [
            DaemonPing.self,
            DaemonInfo.self,
            InstanceList.self,
            InstanceSpawn.self,
            InstanceStop.self,
            SessionOpen.self,
            SessionClose.self,
            SessionList.self,
            SessionResume.self,
            ScriptExec.self,
            SceneInfo.self,
            SceneObject.self,
            APIDescribe.self,
            SceneCheckpoint.self,
            SceneCheckpoints.self,
            SceneRestore.self,
            SceneLoad.self,
            SceneExport.self,
            RenderViews.self,
            RequestCancel.self,
            EventsSubscribe.self,
            EventsUnsubscribe.self,
            JobSubmit.self,
            JobStatus.self,
            JobCancel.self,
            WorkerAttach.self,
        ]
    }

    public static var names: [String] { all.map { $0.name }.sorted() }
}
