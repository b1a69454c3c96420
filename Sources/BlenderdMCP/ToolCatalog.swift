import MCP

/// The tools `blenderctl mcp` offers: names, what the model reads about them, and JSON Schemas
/// of their arguments. Each forwards to one daemon method (docs/mcp.md has the table).
enum ToolName: String, CaseIterable, Sendable {
    case executeBlenderCode = "execute_blender_code"
    case getSceneInfo = "get_scene_info"
    case getObjectInfo = "get_object_info"
    case renderViews = "render_views"
    case exportScene = "export_scene"
    case listCheckpoints = "list_checkpoints"
    case restoreCheckpoint = "restore_checkpoint"
    case describeBlenderAPI = "describe_blender_api"
}

enum ToolCatalog {
    /// Sent as the server's `instructions`: how the tools fit together, for the model's prompt.
    static let instructions = """
        Tools to model in a real Blender through blenderd. All tools share one Blender session \
        (opened on the first call): scripts see the scene earlier scripts built. \
        execute_blender_code runs Blender Python (import bpy yourself; set a global `result` to \
        return a value). A failed script returns the error type, message, line, the offending \
        code line and hints (for example API names renamed between Blender versions); the scene is \
        rolled back to the last checkpoint, so fix the code and run it again. Names differ between \
        Blender versions: check them with describe_blender_api (an operator such as \
        mesh.primitive_cube_add, a type such as Object, a node such as ShaderNodeBsdfPrincipled). \
        Inspect with get_scene_info and get_object_info, look with render_views (images), roll \
        back with list_checkpoints and restore_checkpoint, and write files with export_scene.
        """

    static let all: [Tool] = [
        Tool(
            name: ToolName.executeBlenderCode.rawValue,
            title: "Run Blender Python",
            description: """
                Run Python code in the session's Blender (bpy). Each call gets a fresh namespace \
                (import bpy again), but the scene persists between calls. Set a global `result` \
                to return a JSON-safe value (objects come back as {type, name}). Returns stdout, \
                stderr, the value, what datablocks were added/removed/modified, and the \
                checkpoint saved afterwards. On an error: type, message, line, the code line, \
                traceback and hints, with the scene rolled back to the last checkpoint.
                """,
            inputSchema: object([
                "code": ["type": "string", "description": "Blender Python source to run."],
                "timeout_s": ["type": "number", "exclusiveMinimum": 0, "maximum": 86400,
                              "description": "Wall-clock limit in seconds (default: the session's, 60 unless configured)."],
            ], required: ["code"]),
            annotations: .init(title: "Run Blender Python", readOnlyHint: false, destructiveHint: true, openWorldHint: false)
        ),
        Tool(
            name: ToolName.getSceneInfo.rawValue,
            title: "Scene overview",
            description: """
                List the scene's objects (sorted by name, paged) with type, transforms, world \
                bounds, vertex/face counts, materials, modifiers, cameras and lights, plus the \
                scene's overall bounds.
                """,
            inputSchema: object([
                "offset": ["type": "integer", "minimum": 0, "description": "First object to list (default 0)."],
                "limit": ["type": "integer", "minimum": 0, "maximum": 1000, "description": "Objects per page (default 100)."],
            ]),
            annotations: .init(title: "Scene overview", readOnlyHint: true, openWorldHint: false)
        ),
        Tool(
            name: ToolName.getObjectInfo.rawValue,
            title: "Object details",
            description: """
                Everything about one object: transforms and matrix_world, bounds, mesh counts, \
                modifiers with settings, constraints, materials with their node settings, \
                children, vertex groups and custom properties. An unknown name lists the closest \
                names.
                """,
            inputSchema: object([
                "name": ["type": "string", "description": "The object's name (bpy.data.objects key)."],
            ], required: ["name"]),
            annotations: .init(title: "Object details", readOnlyHint: true, openWorldHint: false)
        ),
        Tool(
            name: ToolName.renderViews.rawValue,
            title: "Render views",
            description: """
                Render the scene from several orbit cameras around its bounds (or from named \
                camera objects) and return the images, with a line per view saying where its \
                camera was. A light and a world are added for the render if the scene has none, \
                and removed afterwards; the scene is not changed.
                """,
            inputSchema: object([
                "views": ["type": "integer", "minimum": 1, "maximum": 64, "description": "Orbit views (default 4); ignored with cameras."],
                "cameras": ["type": "array", "items": ["type": "string"], "minItems": 1, "maxItems": 64,
                            "description": "Camera objects of the scene to render from instead of orbit views."],
                "resolution": ["type": "array", "items": ["type": "integer", "minimum": 16, "maximum": 8192],
                               "minItems": 2, "maxItems": 2,
                               "description": "[width, height] in pixels (default [512, 512]); not with scale."],
                "scale": ["type": "number", "minimum": 0.1, "maximum": 1,
                          "description": "A fraction of 1920x1080 instead of resolution."],
                "engine": ["type": "string", "enum": ["CYCLES", "EEVEE", "WORKBENCH"],
                           "description": "Render engine (default CYCLES). WORKBENCH is fastest for checking shapes."],
                "samples": ["type": "integer", "minimum": 1, "maximum": 65536, "description": "Samples per pixel (default 16)."],
                "transparent": ["type": "boolean", "description": "Transparent background."],
                "format": ["type": "string", "enum": ["PNG", "JPEG"], "description": "Image format (default PNG)."],
            ]),
            annotations: .init(title: "Render views", readOnlyHint: true, openWorldHint: false)
        ),
        Tool(
            name: ToolName.exportScene.rawValue,
            title: "Export the scene",
            description: """
                Write the scene (or the named objects with their children) to a file on this \
                machine and return its path. Formats: glb, gltf, obj, fbx, usd, stl, ply, blend \
                (what this Blender supports). embed=true also returns the file's bytes as an \
                embedded resource.
                """,
            inputSchema: object([
                "format": ["type": "string", "enum": ["glb", "gltf", "obj", "fbx", "usd", "stl", "ply", "blend"]],
                "selection": ["type": "array", "items": ["type": "string"],
                              "description": "Objects to export, each with its children (default: every visible object)."],
                "embed": ["type": "boolean", "description": "Also return the file as an embedded resource (default false)."],
            ], required: ["format"]),
            annotations: .init(title: "Export the scene", readOnlyHint: true, openWorldHint: false)
        ),
        Tool(
            name: ToolName.listCheckpoints.rawValue,
            title: "List checkpoints",
            description: """
                The session's saved scene states, oldest first: one after every successful \
                execute_blender_code, and which one the scene is at now.
                """,
            inputSchema: object([:]),
            annotations: .init(title: "List checkpoints", readOnlyHint: true, openWorldHint: false)
        ),
        Tool(
            name: ToolName.restoreCheckpoint.rawValue,
            title: "Restore a checkpoint",
            description: "Roll the scene back to a checkpoint (an id such as c3 from list_checkpoints).",
            inputSchema: object([
                "checkpoint": ["type": "string", "description": "Checkpoint id, e.g. c3."],
            ], required: ["checkpoint"]),
            annotations: .init(title: "Restore a checkpoint", readOnlyHint: false, destructiveHint: true,
                               idempotentHint: true, openWorldHint: false)
        ),
        Tool(
            name: ToolName.describeBlenderAPI.rawValue,
            title: "Describe Blender API",
            description: """
                Look up names as this Blender version has them: an operator \
                (mesh.primitive_cube_add: its parameters), an RNA type (Object: its properties), \
                a node type (ShaderNodeBsdfPrincipled: its input and output socket names) or \
                Type.property. An unknown target lists the closest names.
                """,
            inputSchema: object([
                "target": ["type": "string", "description": "Operator, type, node type or Type.property."],
            ], required: ["target"]),
            annotations: .init(title: "Describe Blender API", readOnlyHint: true, openWorldHint: false)
        ),
    ]

    /// The argument names each tool accepts (from its schema), for `ToolArguments`.
    static func argumentNames(_ tool: ToolName) -> Set<String> {
        guard let schema = all.first(where: { $0.name == tool.rawValue })?.inputSchema,
              case .object(let members)? = schema.objectValue?["properties"] else { return [] }
        return Set(members.keys)
    }

    private static func object(_ properties: [String: Value], required: [String] = []) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }
}
