import BlenderdProtocol
import JSONRPC

/// A validated `render.views` request: what each worker call gets (protocol/worker.md,
/// render.views) and what the daemon does around the calls (passes, fan-out, delivery).
/// Every param is checked here, before the session is looked up ("params first").
struct RenderPlan {
    /// How many views the request has (orbit views, or one per named camera).
    let viewCount: Int
    let resolution: [Int]
    let engine: String
    let preview: Bool
    /// More instances to lease (0: the session's instance renders everything).
    let parallel: Int
    let delivery: Delivery
    /// nil: the session's limit, but at least `minimumTimeoutMilliseconds`.
    let timeoutMilliseconds: Int?
    /// The worker params shared by every call (without output_dir, pass, indices).
    private let common: [String: JSONValue]
    private let samples: Int?

    /// A render's default time limit: the session's per-call limit is sized for scripts (60 s by
    /// default); a render of several views at a real resolution takes longer.
    static let minimumTimeoutMilliseconds = 600_000
    static let maxViews = 64
    static let maxParallel = 16
    static let engines = ["CYCLES", "EEVEE", "WORKBENCH", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH"]

    static func make(_ params: RenderViews.Params, framing: Framing?) -> Result<RenderPlan, RPCError> {
        func bad(_ path: String, _ reason: String) -> Result<RenderPlan, RPCError> {
            .failure(.invalidParams(path: "params." + path, reason: reason))
        }
        var common: [String: JSONValue] = [:]
        var count = 5
        if let cameras = params.cameras {
            guard (1...maxViews).contains(cameras.count) else { return bad("cameras", "give 1 to \(maxViews) camera names or orbit views") }
            var entries: [JSONValue] = []
            for (position, camera) in cameras.enumerated() {
                switch camera {
                case .named(let name):
                    if name.isEmpty { return bad("cameras[\(position)]", "a camera name cannot be empty") }
                    entries.append(.string(name))
                case .orbit(let view):
                    if let problem = orbitProblem(view) { return bad("cameras[\(position)].\(problem.member)", problem.reason) }
                    var entry: [String: JSONValue] = [
                        "azimuth_deg": .number(JSONNumber(view.azimuthDeg)), "elevation_deg": .number(JSONNumber(view.elevationDeg)),
                    ]
                    if let distance = view.distance { entry["distance"] = .number(JSONNumber(distance)) }
                    if let target = view.target { entry["target"] = .array(target.map { .number(JSONNumber($0)) }) }
                    if let lens = view.lens { entry["lens"] = .number(JSONNumber(lens)) }
                    entries.append(.object(entry))
                }
            }
            if params.views != nil { return bad("views", "give views (orbit cameras) or cameras (the scene's, or orbit views), not both") }
            common["cameras"] = .array(entries)
            count = cameras.count
        } else if let views = params.views {
            guard (1...maxViews).contains(views) else { return bad("views", "must be 1 to \(maxViews)") }
            count = views
        }
        common["views"] = .number(JSONNumber(count))

        var resolution = [1920, 1080]
        switch (params.resolution, params.scale) {
        case (_?, _?):
            return bad("scale", "give resolution or scale, not both")
        case (let size?, nil):
            guard size.count == 2 else { return bad("resolution", "must be [width, height]") }
            for (axis, value) in zip(["0", "1"], size) where !(16...8192).contains(value) {
                return bad("resolution[\(axis)]", "must be 16 to 8192 pixels")
            }
            resolution = size
        case (nil, let scale?):
            guard scale >= 0.1, scale <= 1 else { return bad("scale", "must be in [0.1, 1] (a fraction of 1920×1080)") }
            resolution = [max(16, Int((1920 * scale).rounded())), max(16, Int((1080 * scale).rounded()))]
        case (nil, nil):
            break
        }
        common["resolution"] = .array(resolution.map { .number(JSONNumber($0)) })

        let engine = params.engine ?? "CYCLES"
        guard engines.contains(engine) else { return bad("engine", "expected CYCLES, EEVEE or WORKBENCH, got \(JSON.string(.string(engine)))") }
        common["engine"] = .string(engine)
        if let samples = params.samples {
            guard (1...65536).contains(samples) else { return bad("samples", "must be 1 to 65536") }
            common["samples"] = .number(JSONNumber(samples))
        }
        if let denoise = params.denoise { common["denoise"] = .bool(denoise) }
        if let device = params.device {
            guard ["cpu", "gpu", "auto"].contains(device) else { return bad("device", "expected cpu, gpu or auto, got \(JSON.string(.string(device)))") }
            common["device"] = .string(device)
        }
        if let format = params.format {
            guard ["PNG", "JPEG", "EXR"].contains(format) else { return bad("format", "expected PNG, JPEG or EXR, got \(JSON.string(.string(format)))") }
            common["format"] = .string(format)
        }
        if let transparent = params.transparent { common["transparent"] = .bool(transparent) }
        if let seed = params.seed {
            guard seed >= 0 else { return bad("seed", "must not be negative") }
            common["seed"] = .number(JSONNumber(seed))
        }
        let parallel = params.parallel ?? 0
        guard (0...maxParallel).contains(parallel) else { return bad("parallel", "must be 0 to \(maxParallel) more instances") }

        var delivery = Delivery.inline
        if let text = params.delivery {
            guard let parsed = Delivery(rawValue: text) else { return bad("delivery", "expected inline, binary or path, got \(JSON.string(.string(text)))") }
            delivery = parsed
        }
        if delivery == .binary, framing != .header {
            return bad("delivery", "binary delivery sends each image as an attachment frame, which only header framing (Content-Length) can carry; this connection speaks NDJSON: use inline or path, or reconnect with header framing")
        }
        var timeout: Int?
        if let seconds = params.timeoutS {
            guard seconds > 0, seconds <= Daemon.maxSeconds else { return bad("timeout_s", "must be in (0, 86400] seconds") }
            timeout = Int(seconds * 1000)
        }
        return .success(RenderPlan(viewCount: count, resolution: resolution, engine: engine, preview: params.preview ?? false,
                                   parallel: min(parallel, count - 1), delivery: delivery, timeoutMilliseconds: timeout,
                                   common: common, samples: params.samples))
    }

    /// What is wrong with an orbit view's parameters (the worker's own ranges), if anything.
    static func orbitProblem(_ view: OrbitView) -> (member: String, reason: String)? {
        guard view.azimuthDeg.isFinite, abs(view.azimuthDeg) <= 3600 else { return ("azimuth_deg", "must be a number in [-3600, 3600] degrees") }
        guard view.elevationDeg.isFinite, abs(view.elevationDeg) <= 89 else { return ("elevation_deg", "must be a number in [-89, 89] degrees") }
        if let distance = view.distance, !(distance.isFinite && distance > 0 && distance <= 1e7) {
            return ("distance", "must be a positive number (at most 1e7)")
        }
        if let target = view.target, target.count != 3 || !target.allSatisfy({ $0.isFinite && abs($0) <= 1e7 }) {
            return ("target", "must be [x, y, z], finite")
        }
        if let lens = view.lens, !(lens.isFinite && (1...5000).contains(lens)) { return ("lens", "must be 1 to 5000 mm") }
        return nil
    }

    var isWorkbench: Bool { engine.hasSuffix("WORKBENCH") }

    /// The worker's params for one call: a pass over `indices` (nil: every view) into `outputDirectory`.
    func workerParams(pass: String, indices: [Int]?, outputDirectory: String) -> JSONValue {
        var params = common
        params["output_dir"] = .string(outputDirectory)
        params["pass"] = .string(pass)
        if let indices { params["indices"] = .array(indices.map { .number(JSONNumber($0)) }) }
        if pass == "preview" {
            // A quarter of the size (at least 16 px, the worker's minimum), few samples, no
            // denoising: a first look within a fraction of the final render's time.
            params["resolution"] = .array(resolution.map { .number(JSONNumber(max(16, $0 / 4))) })
            params["denoise"] = false
            if isWorkbench {
                params.removeValue(forKey: "samples")
            } else {
                params["samples"] = .number(JSONNumber(max(1, min(4, (samples ?? 16) / 8))))
            }
        }
        return .object(params)
    }
}
