import JSONRPC

/// `render.views`: N views of the session's scene (orbit cameras around its bounds, or named
/// cameras), streamed as `render.progress` and `render.image` notifications while they render;
/// the result lists every image. protocol/README.md, "Streaming", is the normative text.
public enum RenderViews: RPCMethod {
    public static let name = "render.views"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        /// Orbit views, 1–64 (default 5); ignored with `cameras`.
        public var views: Int?
        /// The views to render instead of `views` orbit views: camera objects of the scene by name,
        /// or orbit views by their parameters (a render.image's `orbit`, to render it again).
        public var cameras: [RenderCamera]?
        /// `[width, height]` in pixels, each 16–8192.
        public var resolution: [Int]?
        /// A fraction of 1920×1080 in [0.1, 1] (LL3M's resolution_scale); not with `resolution`.
        public var scale: Double?
        /// CYCLES (default), EEVEE or WORKBENCH.
        public var engine: String?
        public var samples: Int?
        public var denoise: Bool?
        /// cpu, gpu or auto (default).
        public var device: String?
        /// PNG (default), JPEG or EXR.
        public var format: String?
        public var transparent: Bool?
        public var seed: Int?
        /// A fast low-resolution pass of every view first (`pass: "preview"`).
        public var preview: Bool?
        /// Up to this many more instances render a share of the views.
        public var parallel: Int?
        /// inline (default), binary (header framing only) or path.
        public var delivery: String?
        /// Wall-clock limit of the whole render, seconds.
        public var timeoutS: Double?

        public init(session: String, views: Int? = nil, cameras: [RenderCamera]? = nil, resolution: [Int]? = nil, scale: Double? = nil,
                    engine: String? = nil, samples: Int? = nil, denoise: Bool? = nil, device: String? = nil, format: String? = nil,
                    transparent: Bool? = nil, seed: Int? = nil, preview: Bool? = nil, parallel: Int? = nil,
                    delivery: String? = nil, timeoutS: Double? = nil) {
            self.session = session
            self.views = views
            self.cameras = cameras
            self.resolution = resolution
            self.scale = scale
            self.engine = engine
            self.samples = samples
            self.denoise = denoise
            self.device = device
            self.format = format
            self.transparent = transparent
            self.seed = seed
            self.preview = preview
            self.parallel = parallel
            self.delivery = delivery
            self.timeoutS = timeoutS
        }

        enum CodingKeys: String, CodingKey {
            case session, views, cameras, resolution, scale, engine, samples, denoise, device, format, transparent, seed
            case preview, parallel, delivery
            case timeoutS = "timeout_s"
        }
    }

    public struct Result: Codable, Sendable, Equatable {
        /// The final pass, by index.
        public var images: [RenderedImage]
        /// The preview pass, by index (with `preview: true`).
        public var previews: [RenderedImage]?
        /// The bpy engine id used (CYCLES, BLENDER_EEVEE_NEXT, …).
        public var engine: String
        /// CPU, CUDA:0, OPENGL, …: what rendered.
        public var device: String
        /// `{requested, applied, reason?, denoiser?}`, as the worker decided.
        public var denoise: JSONValue
        public var durationMs: Double
        /// `{light, world}`: what the render added for itself (and removed afterwards).
        public var added: JSONValue
        /// The number of views; `indices` the ones rendered.
        public var views: Int
        public var indices: [Int]
        public var resolution: [Int]
        public var format: String
        /// null for Workbench.
        public var samples: Int?
        public var notes: [String]
        /// The instances that rendered: the session's first, then the ones `parallel` leased.
        public var instances: [String]
        public var delivery: String
        /// `time to first image` as the daemon saw it, milliseconds from the start of rendering.
        public var firstImageMs: Double?

        public init(images: [RenderedImage], previews: [RenderedImage]?, engine: String, device: String, denoise: JSONValue,
                    durationMs: Double, added: JSONValue, views: Int, indices: [Int], resolution: [Int], format: String,
                    samples: Int?, notes: [String], instances: [String], delivery: String, firstImageMs: Double?) {
            self.images = images
            self.previews = previews
            self.engine = engine
            self.device = device
            self.denoise = denoise
            self.durationMs = durationMs
            self.added = added
            self.views = views
            self.indices = indices
            self.resolution = resolution
            self.format = format
            self.samples = samples
            self.notes = notes
            self.instances = instances
            self.delivery = delivery
            self.firstImageMs = firstImageMs
        }

        enum CodingKeys: String, CodingKey {
            case images, previews, engine, device, denoise, added, views, indices, resolution, format, samples, notes
            case instances, delivery
            case durationMs = "duration_ms"
            case firstImageMs = "first_image_ms"
        }
    }
}

/// One entry of render.views' `cameras`: a camera object of the scene, by name, or an orbit view
/// by the parameters a render.image's `orbit` reported (so a client renders a view it liked
/// again, at another resolution or with more samples).
public enum RenderCamera: Codable, Sendable, Equatable {
    case named(String)
    case orbit(OrbitView)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let name = try? container.decode(String.self) {
            self = .named(name)
        } else {
            self = .orbit(try container.decode(OrbitView.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .named(let name): try container.encode(name)
        case .orbit(let view): try container.encode(view)
        }
    }
}

/// An orbit camera: on a sphere around `target` (default the centre of the scene's bounds) at
/// `distance` (default: the whole scene fits the frame), `azimuth_deg` counter-clockwise from +X
/// seen from above, `elevation_deg` up from the XY plane, looking at the target. render.image's
/// `orbit` also reports `location` and `rotation_euler`; they follow from the rest and are ignored
/// here, so that object can be passed back as it came.
public struct OrbitView: Codable, Sendable, Equatable {
    public var azimuthDeg: Double
    public var elevationDeg: Double
    public var distance: Double?
    public var target: [Double]?
    /// Focal length in mm (default 50).
    public var lens: Double?
    public var location: [Double]?
    public var rotationEuler: [Double]?

    public init(azimuthDeg: Double, elevationDeg: Double, distance: Double? = nil, target: [Double]? = nil, lens: Double? = nil) {
        self.azimuthDeg = azimuthDeg
        self.elevationDeg = elevationDeg
        self.distance = distance
        self.target = target
        self.lens = lens
    }

    enum CodingKeys: String, CodingKey {
        case distance, target, lens, location
        case azimuthDeg = "azimuth_deg"
        case elevationDeg = "elevation_deg"
        case rotationEuler = "rotation_euler"
    }
}

/// One rendered view, as `render.image` announces it and `render.views` lists it.
public struct RenderedImage: Codable, Sendable, Equatable {
    public var index: Int
    public var width: Int
    public var height: Int
    public var mime: String
    public var engine: String
    public var device: String
    public var durationMs: Double
    public var bytes: Int
    /// final or preview.
    public var pass: String
    /// The camera's name, or orbit-<index>.
    public var camera: String
    /// For an orbit view: enough to rebuild the camera (azimuth_deg, elevation_deg, distance, …).
    public var orbit: JSONValue?
    /// The instance that rendered it.
    public var instance: String
    /// With delivery path: where the file is now (in the session's directory).
    public var path: String?

    public init(index: Int, width: Int, height: Int, mime: String, engine: String, device: String, durationMs: Double,
                bytes: Int, pass: String, camera: String, orbit: JSONValue?, instance: String, path: String?) {
        self.index = index
        self.width = width
        self.height = height
        self.mime = mime
        self.engine = engine
        self.device = device
        self.durationMs = durationMs
        self.bytes = bytes
        self.pass = pass
        self.camera = camera
        self.orbit = orbit
        self.instance = instance
        self.path = path
    }

    enum CodingKeys: String, CodingKey {
        case index, width, height, mime, engine, device, bytes, pass, camera, orbit, instance, path
        case durationMs = "duration_ms"
    }
}

/// `scene.export`: the session's scene (or a selection) as a file, delivered like an image.
public enum SceneExport: RPCMethod {
    public static let name = "scene.export"

    public struct Params: Codable, Sendable, Equatable {
        public var session: String
        /// glb, gltf, obj, fbx, usd, stl, ply or blend.
        public var format: String
        /// Objects to export, each with its children; default every visible object.
        public var selection: [String]?
        /// inline (default), binary (header framing only) or path.
        public var delivery: String?
        public var timeoutS: Double?

        public init(session: String, format: String, selection: [String]? = nil, delivery: String? = nil, timeoutS: Double? = nil) {
            self.session = session
            self.format = format
            self.selection = selection
            self.delivery = delivery
            self.timeoutS = timeoutS
        }

        enum CodingKeys: String, CodingKey {
            case session, format, selection, delivery
            case timeoutS = "timeout_s"
        }
    }

    /// The worker's result (objects, operator, duration_ms, …) with its workspace paths replaced
    /// by the delivered files: `name`, `attachment` and `files` (protocol/README.md).
    public typealias Result = JSONValue
}

/// Notifications the daemon sends while a render or an export runs. They are JSON-RPC
/// notifications from the daemon; clients ignore methods they do not know.
public enum StreamNotification {
    /// `{session, request, index, view, views, pass, elapsed_ms, samples_done?, samples_total?, stage?, instance}`
    public static let renderProgress = "render.progress"
    /// `{session, request, …RenderedImage, attachment}`
    public static let renderImage = "render.image"
    /// `{session, request, name, bytes, mime, attachment}`: a further file of a binary export.
    public static let exportFile = "scene.export.file"

    public static let all = [renderProgress, renderImage, exportFile]
}

/// How a client wants files delivered.
public enum Delivery: String, Sendable, CaseIterable {
    /// base64 inside the JSON message (`attachment.base64`): any framing.
    case inline
    /// An attachment frame right after the announcing message: header framing only.
    case binary
    /// The file moved into the session's directory (`attachment.path`).
    case path
}
