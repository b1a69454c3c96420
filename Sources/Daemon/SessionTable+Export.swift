import BlenderdProtocol
import Foundation
import InstancePool
import JSONRPC

/// `scene.export`: the worker writes the file into `<workspace>/.blenderd/export-<n>/` (the
/// daemon picks the path), and the daemon delivers it as the client asked, like an image:
///
///   inline  `attachment: {bytes, mime, base64}` in the result; further files (an .obj's .mtl,
///           a .gltf's .bin) in `files`, each with its own inline attachment
///   binary  the result announces `attachment: {bytes, mime}` and the file follows it as an
///           attachment frame; each further file comes first, as a `scene.export.file`
///           notification and its frame (a message announces at most one attachment). In a
///           batch it is served inline: a batch's responses go out together.
///   path    every file copied into `<state>/sessions/<id>/exports/<n>-<x>/`; `attachment.path`
///
/// Worker paths never reach the client: `name` is the file's name.
extension SessionTable {
    static let exportExtensions = ["glb": "glb", "gltf": "gltf", "obj": "obj", "fbx": "fbx", "usd": "usdc",
                                   "stl": "stl", "ply": "ply", "blend": "blend"]

    func export(_ params: SceneExport.Params, on connection: ClientConnection, request: RequestID?,
                _ reply: @escaping (Result<RawJSON, RPCError>) -> Void) {
        guard let fileExtension = Self.exportExtensions[params.format] else {
            return reply(.failure(.invalidParams(path: "params.format",
                reason: "expected one of \(Self.exportExtensions.keys.sorted().joined(separator: ", ")), got \(JSON.string(.string(params.format)))")))
        }
        if let selection = params.selection {
            if selection.isEmpty { return reply(.failure(.invalidParams(path: "params.selection", reason: "name at least one object, or leave selection out for every visible object"))) }
            if let empty = selection.firstIndex(where: \.isEmpty) {
                return reply(.failure(.invalidParams(path: "params.selection[\(empty)]", reason: "an object name cannot be empty")))
            }
        }
        var delivery = Delivery.inline
        if let text = params.delivery {
            guard let parsed = Delivery(rawValue: text) else {
                return reply(.failure(.invalidParams(path: "params.delivery", reason: "expected inline, binary or path, got \(JSON.string(.string(text)))")))
            }
            delivery = parsed
        }
        if delivery == .binary, connection.framing != .header {
            return reply(.failure(.invalidParams(path: "params.delivery",
                reason: "binary delivery sends the file as an attachment frame, which only header framing (Content-Length) can carry; this connection speaks NDJSON: use inline or path, or reconnect with header framing")))
        }
        if delivery == .binary, connection.dispatchingBatch { delivery = .inline }
        var timeout: Int?
        if let seconds = params.timeoutS {
            guard seconds > 0, seconds <= Daemon.maxSeconds else {
                return reply(.failure(.invalidParams(path: "params.timeout_s", reason: "must be in (0, 86400] seconds")))
            }
            timeout = Int(seconds * 1000)
        }
        let session: Session
        switch owned(params.session, by: connection) {
        case .failure(let error): return reply(.failure(error))
        case .success(let found): session = found
        }
        session.lastActiveMilliseconds = loop.nowMilliseconds
        enqueue(session, connection: connection.id, request: request, reply: reply) { [unowned self] done in
            let finish: (Result<RawJSON, RPCError>) -> Void = { result in
                session.lastActiveMilliseconds = self.loop.nowMilliseconds
                reply(result)
                done()
            }
            session.phase = .leasing
            withInstance(session) { leased in
                let instance: Instance
                switch leased {
                case .failure(let error): return finish(.failure(error))
                case .success(let found): instance = found
                }
                session.renders += 1
                let name = "export-\(session.renders)"
                let parent: ScratchDirectory
                let output: ScratchDirectory
                do {
                    parent = try self.scratchDirectory(for: instance, session: session)
                    parent.removeDirectory(name)
                    output = try parent.subdirectory(name)
                } catch {
                    return finish(.failure(Self.storageError("cannot prepare the export directory in the workspace", error)))
                }
                var forwarded: [String: JSONValue] = ["format": .string(params.format), "path": .string(output.file("scene.\(fileExtension)"))]
                if let selection = params.selection { forwarded["selection"] = .array(selection.map { .string($0) }) }
                self.runRaw(session, method: SceneExport.name, params: RawJSON(.object(forwarded)), timeoutMilliseconds: timeout) { result in
                    defer {
                        output.close()
                        parent.removeDirectory(name)
                        parent.close()
                    }
                    switch result {
                    case .failure(let error):
                        finish(.failure(error))
                    case .success(let raw):
                        let hostDirectory = self.state.session(session.id) + "/exports/\(session.renders)-"
                            + String(UInt32.random(in: 0...UInt32.max), radix: 16)
                        var exported = ExportDelivery(connection: connection, session: session.id, request: request, delivery: delivery,
                                                      output: output, hostDirectory: hostDirectory)
                        if let events = self.events, events.follows(session: session.id) {
                            // Subscribers get each file as a scene.export.file, delivered as they asked.
                            exported.onFile = { name, mime, size, file in
                                events.publish(StreamNotification.exportFile, params: [
                                    "session": .string(session.id), "request": request?.json ?? .null, "name": .string(name),
                                    "bytes": .number(JSONNumber(size)), "mime": .string(mime),
                                ], session: session.id, file: file)
                            }
                        }
                        switch exported.deliver(raw) {
                        case .failure(let error):
                            finish(.failure(error))
                        case .success(let (value, attachment)):
                            // The response was written now (one request: the reply goes straight
                            // out), so its attachment frame follows it with nothing between.
                            let written = request.map { connection.inFlightIDs.contains($0) } ?? false
                            finish(.success(value))
                            if let attachment, written { connection.sendAttachment(attachment) }
                        }
                    }
                }
            }
        }
    }
}

/// Turns the worker's scene.export result into the client's (SessionTable+Export.swift).
struct ExportDelivery {
    let connection: ClientConnection
    let session: String
    let request: RequestID?
    let delivery: Delivery
    let output: ScratchDirectory
    let hostDirectory: String
    /// Sees each file delivered: its name, mime, size, and where the bytes are (subscribers).
    var onFile: ((_ name: String, _ mime: String, _ bytes: Int, _ file: EventBus.File) -> Void)?

    static func mime(ofExtra name: String) -> String {
        switch (name as NSString).pathExtension.lowercased() {
        case "mtl": "model/mtl"
        case "bin": "application/octet-stream"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        default: "application/octet-stream"
        }
    }

    /// The client's result, and the bytes of the attachment frame to send after it (binary).
    func deliver(_ raw: RawJSON) -> Result<(RawJSON, [UInt8]?), RPCError> {
        let result = raw.value
        guard let path = result["path"]?.stringValue, let main = name(of: path) else {
            return .failure(.internalError("the worker's scene.export result names no file in \(output.path)"))
        }
        let mime = result["mime"]?.stringValue ?? "application/octet-stream"
        let extras = (result["files"]?.arrayValue ?? []).compactMap { $0["path"]?.stringValue.flatMap(name(of:)) }
        do {
            var members: [String: JSONValue] = ["name": .string(main), "delivery": .string(delivery.rawValue), "path": .null]
            switch delivery {
            case .path:
                try FileManager.default.createDirectory(atPath: hostDirectory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                var files: [JSONValue] = []
                for extra in extras {
                    let size = try moveOut(extra)
                    onFile?(extra, Self.mime(ofExtra: extra), size, .path(hostDirectory + "/" + extra, mime: Self.mime(ofExtra: extra)))
                    files.append(["name": .string(extra), "bytes": .number(JSONNumber(size)), "mime": .string(Self.mime(ofExtra: extra)),
                                  "attachment": ["bytes": .number(JSONNumber(size)), "mime": .string(Self.mime(ofExtra: extra)),
                                                 "path": .string(hostDirectory + "/" + extra)]])
                }
                let size = try moveOut(main)
                onFile?(main, mime, size, .path(hostDirectory + "/" + main, mime: mime))
                members["bytes"] = .number(JSONNumber(size))
                members["files"] = .array(files)
                members["attachment"] = ["bytes": .number(JSONNumber(size)), "mime": .string(mime), "path": .string(hostDirectory + "/" + main)]
                return .success((Self.replacing(raw, members), nil))
            case .inline:
                var files: [RawJSON] = []
                for extra in extras {
                    let bytes = try output.read(extra, maxBytes: FileDelivery.maxSocketBytes)
                    onFile?(extra, Self.mime(ofExtra: extra), bytes.count, .bytes(bytes, name: extra, mime: Self.mime(ofExtra: extra)))
                    files.append(.object([
                        ("name", RawJSON(.string(extra))), ("bytes", RawJSON(.number(JSONNumber(bytes.count)))),
                        ("mime", RawJSON(.string(Self.mime(ofExtra: extra)))),
                        ("attachment", Self.inlineAttachment(bytes, mime: Self.mime(ofExtra: extra))),
                    ]))
                }
                let bytes = try output.read(main, maxBytes: FileDelivery.maxSocketBytes)
                onFile?(main, mime, bytes.count, .bytes(bytes, name: main, mime: mime))
                members["bytes"] = .number(JSONNumber(bytes.count))
                members["files"] = .null  // set below, as text
                var text = Self.replacing(raw, members)
                text = text.settingMember("files", raw: .array(files))
                text = text.settingMember("attachment", raw: Self.inlineAttachment(bytes, mime: mime))
                return .success((text, nil))
            case .binary:
                var files: [JSONValue] = []
                for extra in extras {
                    let bytes = try output.read(extra, maxBytes: FileDelivery.maxSocketBytes)
                    let extraMime = Self.mime(ofExtra: extra)
                    onFile?(extra, extraMime, bytes.count, .bytes(bytes, name: extra, mime: extraMime))
                    let params: [String: JSONValue] = [
                        "session": .string(session), "request": request?.json ?? .null, "name": .string(extra),
                        "bytes": .number(JSONNumber(bytes.count)), "mime": .string(extraMime),
                        "attachment": ["bytes": .number(JSONNumber(bytes.count)), "mime": .string(extraMime)],
                    ]
                    connection.send(FileDelivery.notification(StreamNotification.exportFile, params: params), attachment: bytes)
                    files.append(["name": .string(extra), "bytes": .number(JSONNumber(bytes.count)), "mime": .string(extraMime)])
                }
                let bytes = try output.read(main, maxBytes: FileDelivery.maxSocketBytes)
                onFile?(main, mime, bytes.count, .bytes(bytes, name: main, mime: mime))
                members["bytes"] = .number(JSONNumber(bytes.count))
                members["files"] = .array(files)
                members["attachment"] = ["bytes": .number(JSONNumber(bytes.count)), "mime": .string(mime)]
                return .success((Self.replacing(raw, members), bytes))
            }
        } catch {
            return .failure(RPCError(code: .renderError, data: [
                "reason": .string("the exported file cannot be delivered: \(error)"),
                "format": result["format"] ?? .null, "session": .string(session),
                "remedy": "delivery \"path\" has no size limit",
            ]))
        }
    }

    private func name(of path: String) -> String? {
        let name = String(path.split(separator: "/").last ?? "")
        return !name.isEmpty && path == output.file(name) ? name : nil
    }

    private func moveOut(_ name: String) throws(ScratchError) -> Int {
        let destination = hostDirectory + "/" + name
        try output.moveOut(name, to: destination)
        return FileDelivery.fileSize(destination) ?? 0
    }

    /// The worker's result with `members` set and the null ones removed (its `path` is in the
    /// workspace, meaningless to the client). The result is small: parsing it costs nothing.
    static func replacing(_ raw: RawJSON, _ members: [String: JSONValue]) -> RawJSON {
        var object = raw.value.objectValue ?? [:]
        for (key, value) in members {
            // removeValue: with JSONValue nil-literal, `object[key] = nil` could store JSON null.
            if value == .null { object.removeValue(forKey: key) } else { object[key] = value }
        }
        return RawJSON(.object(object))
    }

    static func inlineAttachment(_ bytes: [UInt8], mime: String) -> RawJSON {
        .object([("bytes", RawJSON(.number(JSONNumber(bytes.count)))), ("mime", RawJSON(.string(mime))), ("base64", .base64String(bytes))])
    }
}
