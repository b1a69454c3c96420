import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC

#if canImport(Glibc)
import Glibc
#endif

/// `job.submit`, `job.status`, `job.cancel`. Params are checked here, all of them before the
/// source is looked at (a bad param and an unknown session is -32602); `JobTable` runs the job.
extension Daemon {
    func registerJobMethods(_ table: MethodTable, jobs: JobTable, sessions: SessionTable) {
        table.register(JobSubmit.self) { params, connection, reply in
            switch JobSubmission.prepare(params, on: connection, sessions: sessions, state: jobs.state) {
            case .failure(let error):
                reply(.failure(error))
            case .success(let job):
                if let error = jobs.submit(job) { return reply(.failure(error)) }
                jobs.events?.jobSubmitted(job.id, session: params.session)
                reply(.success(JobSubmit.Result(job: job.id, frames: job.frames.count, chunks: job.chunkCount,
                                                framesDir: job.framesDirectory, blender: job.requirements.blender?.text ?? "*")))
                jobs.announce(job)
            }
        }
        table.register(JobStatus.self) { params, _, reply in
            reply(jobs.status(params.job))
        }
        table.register(JobCancel.self) { params, _, reply in
            reply(jobs.cancel(params.job))
        }
    }
}

/// job.submit's params turned into a `Job` with its scene copied into `<state>/jobs/<id>`.
enum JobSubmission {
    static let defaultChunk = 4
    static let maxChunk = 10_000
    /// A chunk's render, unless the client says otherwise.
    static let defaultTimeoutMilliseconds = 30 * 60_000
    static let engines: Set<String> = ["CYCLES", "EEVEE", "WORKBENCH", "BLENDER_EEVEE", "BLENDER_EEVEE_NEXT", "BLENDER_WORKBENCH"]

    static func prepare(_ params: JobSubmit.Params, on connection: ClientConnection, sessions: SessionTable,
                        state: StateDirectory) -> Result<Job, RPCError> {
        let frames: [Int]
        do { frames = try FrameSpec.parse(params.frames) } catch {
            return .failure(.invalidParams(path: "params.frames", reason: error.description))
        }
        let settings: JobSettings
        switch self.settings(params) {
        case .failure(let error): return .failure(error)
        case .success(let valid): settings = valid
        }
        var version: VersionRequirement?
        if let text = params.blender {
            do { version = try VersionRequirement(parsing: text) } catch {
                return .failure(.invalidParams(path: "params.blender", reason: "\(error)"))
            }
        }
        if let output = params.output {
            if let problem = outputProblem(output, state: state) { return .failure(.invalidParams(path: "params.output", reason: problem)) }
        }
        if settings.delivery == .binary, connection.framing != .header {
            return .failure(.invalidParams(path: "params.delivery", reason: "binary delivery sends each frame as an attachment frame, which only header framing (Content-Length) can carry; this connection speaks NDJSON: use inline or path, or reconnect with header framing"))
        }
        // The source, checked last among the params and then looked up.
        let source: Source
        switch (params.blend, params.data, params.session) {
        case (let path?, nil, nil):
            guard params.checkpoint == nil else { return .failure(checkpointWithoutSession) }
            guard path.hasPrefix("/") else {
                return .failure(.invalidParams(path: "params.blend", reason: "must be an absolute path on the daemon's machine"))
            }
            guard let handle = FileHandle(forReadingAtPath: path) else {
                return .failure(.invalidParams(path: "params.blend", reason: "cannot read \(path)"))
            }
            let header = (try? handle.read(upToCount: 17)) ?? Data()
            try? handle.close()
            guard isBlend(header) else {
                return .failure(.invalidParams(path: "params.blend", reason: "not a .blend file (no BLENDER header, not gzip or zstd compressed)"))
            }
            source = .file(path, header)
        case (nil, let data?, nil):
            guard params.checkpoint == nil else { return .failure(checkpointWithoutSession) }
            guard let bytes = Data(base64Encoded: data) else {
                return .failure(.invalidParams(path: "params.data", reason: "not valid base64"))
            }
            guard isBlend(bytes) else {
                return .failure(.invalidParams(path: "params.data", reason: "not a .blend file (no BLENDER header, not gzip or zstd compressed)"))
            }
            source = .bytes(bytes)
        case (nil, nil, let id?):
            let session: Session
            switch sessions.owned(id, by: connection) {
            case .failure(let error): return .failure(error)
            case .success(let found): session = found
            }
            let ids = session.checkpoints.map(\.id)
            guard let checkpoint = params.checkpoint ?? session.currentCheckpoint else {
                return .failure(.invalidParams(path: "params.session",
                    reason: "the session has no checkpoint yet: run script.exec (policy auto) or scene.checkpoint first"))
            }
            guard ids.contains(checkpoint) else {
                return .failure(.invalidParams(path: "params.checkpoint", reason: "no checkpoint \(checkpoint) in this session")
                    .adding(["available": .array(ids.map { .string($0) })]))
            }
            let path = state.checkpoints(session.id) + "/\(checkpoint).blend"
            let header = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 17) } ?? Data()
            source = .file(path, header)
        default:
            return .failure(.invalidParams(path: "params", reason: "give exactly one of blend, data and session"))
        }

        let id = SessionTable.randomID(prefix: "j")
        let directory = state.job(id)
        let framesDirectory = params.output.map { ($0 as NSString).standardizingPath } ?? directory + "/frames"
        let manager = FileManager.default
        if params.output != nil {
            do { try manager.createDirectory(atPath: framesDirectory, withIntermediateDirectories: true, attributes: nil) } catch {
                return .failure(.invalidParams(path: "params.output", reason: "cannot create \(framesDirectory): \(error.localizedDescription)"))
            }
        }
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // On the loop thread: a .blend is copied at disk speed, once per job.
            switch source {
            case .file(let path, _): try manager.copyItem(atPath: path, toPath: directory + "/scene.blend")
            case .bytes(let bytes): try bytes.write(to: URL(fileURLWithPath: directory + "/scene.blend"))
            }
            if params.output == nil {
                try manager.createDirectory(atPath: framesDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            try? manager.removeItem(atPath: directory)
            return .failure(SessionTable.storageError("cannot prepare the job's directory", error))
        }
        if version == nil {
            let header: Data
            switch source {
            case .file(_, let read): header = read
            case .bytes(let bytes): header = bytes.prefix(17)
            }
            // A .blend opens in the Blender that wrote it or a newer one, not reliably in an older one.
            if let (major, minor) = blenderVersion(header: header) {
                version = try? VersionRequirement(parsing: ">=\(major).\(minor)")
            }
        }
        let requirements = Requirements(device: .auto, headless: true, blender: version)
        return .success(Job(id: id, frames: frames, settings: settings, directory: directory, framesDirectory: framesDirectory,
                            requirements: requirements, client: connection.id, connection: connection))
    }

    private enum Source {
        case file(String, Data)
        case bytes(Data)
    }

    private static let checkpointWithoutSession = RPCError.invalidParams(path: "params.checkpoint", reason: "checkpoint goes with session")

    static func settings(_ params: JobSubmit.Params) -> Result<JobSettings, RPCError> {
        let chunk = params.chunk ?? defaultChunk
        guard (1...maxChunk).contains(chunk) else {
            return .failure(.invalidParams(path: "params.chunk", reason: "frames per chunk must be in 1...\(maxChunk)"))
        }
        var engine: String?
        if let name = params.engine {
            guard engines.contains(name.uppercased()) else {
                return .failure(.invalidParams(path: "params.engine", reason: "expected CYCLES, EEVEE or WORKBENCH (or a bpy engine id), got \(JSON.string(.string(name)))"))
            }
            engine = name.uppercased()
        }
        if let samples = params.samples, !(1...65536).contains(samples) {
            return .failure(.invalidParams(path: "params.samples", reason: "must be in 1...65536"))
        }
        if let resolution = params.resolution {
            guard resolution.count == 2, resolution.allSatisfy({ (16...8192).contains($0) }) else {
                return .failure(.invalidParams(path: "params.resolution", reason: "must be [width, height], each 16...8192 pixels"))
            }
        }
        var format = FrameFormat.png
        if let name = params.format {
            guard let parsed = FrameFormat(rawValue: name.uppercased()) else {
                return .failure(.invalidParams(path: "params.format", reason: "expected PNG, JPEG or EXR, got \(JSON.string(.string(name)))"))
            }
            format = parsed
        }
        if let camera = params.camera, camera.isEmpty || camera.count > 1024 {
            return .failure(.invalidParams(path: "params.camera", reason: "a camera object's name, 1 to 1024 characters"))
        }
        var timeout = defaultTimeoutMilliseconds
        if let seconds = params.timeoutS {
            guard seconds > 0, seconds <= Daemon.maxSeconds else {
                return .failure(.invalidParams(path: "params.timeout_s", reason: "must be in (0, 86400] seconds"))
            }
            timeout = Int(seconds * 1000)
        }
        var delivery = Delivery.path
        if let text = params.delivery {
            guard let parsed = Delivery(rawValue: text) else {
                return .failure(.invalidParams(path: "params.delivery", reason: "expected path, inline or binary, got \(JSON.string(.string(text)))"))
            }
            delivery = parsed
        }
        return .success(JobSettings(chunk: chunk, engine: engine, samples: params.samples, resolution: params.resolution,
                                    format: format, camera: params.camera, timeoutMilliseconds: timeout, delivery: delivery))
    }

    /// Why `output` cannot take frames: relative, a file, or in the state directory (whose
    /// workspaces sandboxes see, and whose sessions' files the daemon owns).
    static func outputProblem(_ output: String, state: StateDirectory) -> String? {
        guard output.hasPrefix("/") else { return "must be an absolute directory path on the daemon's machine" }
        let resolved = resolvedPath(output)
        let root = resolvedPath(state.root)
        if resolved == root || resolved.hasPrefix(root + "/") {
            return "must not lie in the daemon's state directory \(state.root); omit output to use the job's directory there"
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue {
            return "\(output) exists and is not a directory"
        }
        return nil
    }

    /// `path` with symlinks resolved in the part that exists (the rest may be created later).
    static func resolvedPath(_ path: String) -> String {
        var existing = (path as NSString).standardizingPath
        var rest: [String] = []
        while existing != "/", !FileManager.default.fileExists(atPath: existing) {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        var result = existing
        if let real = realpath(existing, nil) {
            result = String(cString: real)
            free(real)
        }
        for component in rest { result = (result as NSString).appendingPathComponent(component) }
        return result
    }

    /// A .blend: a `BLENDER` header, or gzip / zstd compressed (older and newer compressed saves).
    static func isBlend(_ bytes: Data) -> Bool {
        bytes.starts(with: Array("BLENDER".utf8)) || bytes.starts(with: [0x1f, 0x8b]) || bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd])
    }

    /// The version of Blender that wrote an uncompressed .blend, from its header: `BLENDER-v404`
    /// (up to 4.x: pointer size, endianness, three digits) or `BLENDER17-01v0500` (5.0 on: header
    /// size, format version, four digits). nil for a compressed file.
    static func blenderVersion(header: Data) -> (Int, Int)? {
        let bytes = Array(header.prefix(17))
        guard bytes.count >= 12, bytes.starts(with: Array("BLENDER".utf8)) else { return nil }
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count, range.allSatisfy({ (0x30...0x39).contains(bytes[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(bytes[$1] - 0x30) }
        }
        let endian: Set<UInt8> = [UInt8(ascii: "v"), UInt8(ascii: "V")]
        if [UInt8(ascii: "_"), UInt8(ascii: "-")].contains(bytes[7]), endian.contains(bytes[8]), let version = digits(9..<12) {
            return (version / 100, version % 100)
        }
        if bytes.count >= 17, digits(7..<9) != nil, bytes[9] == UInt8(ascii: "-"), digits(10..<12) != nil,
           endian.contains(bytes[12]), let version = digits(13..<17) {
            return (version / 100, version % 100)
        }
        return nil
    }
}
