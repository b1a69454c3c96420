// swift-tools-version:6.0
// blenderd: a libuv-based daemon that lets programs drive many Blender instances over JSON-RPC 2.0.
// Dependencies resolve only from the machine's local package copies (see docs/Modules.md).
import PackageDescription

let package = Package(
    name: "blenderd",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "blenderd", targets: ["blenderd"]),
        .executable(name: "blenderctl", targets: ["blenderctl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // The MCP server (`blenderctl mcp`); exact: only this version is among the machine's copies.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
    ],
    targets: [
        // libuv as a system library; UVCore is the only module allowed to import it.
        .systemLibrary(
            name: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"])]
        ),
        .target(name: "UVCore", dependencies: ["CLibUV"]),
        // JSON, JSON-RPC 2.0 messages, framing and dispatch: pure Swift, no libuv.
        .target(name: "JSONRPC"),
        .target(name: "BlenderdProtocol", dependencies: ["JSONRPC", "Sandbox"]),
        // The sandbox policy as plain values turned into a bwrap/prlimit command line: no libuv, no pool.
        .target(name: "Sandbox", dependencies: ["CLinuxProbe"]),
        // Header-only: system calls Swift cannot make (syscall(2) is variadic): Landlock's ABI probe, CPU affinity.
        .systemLibrary(name: "CLinuxProbe"),
        // Blender instances: launchers, the worker channel, the instance state machine, the pool.
        .target(
            name: "InstancePool",
            dependencies: ["UVCore", "JSONRPC", "Sandbox", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "Daemon",
            dependencies: [
                "UVCore", "JSONRPC", "BlenderdProtocol", "InstancePool", "Sandbox", "CLinuxProbe",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Blocking Unix-socket client used by blenderctl (and tests); no libuv.
        .target(name: "BlenderdClient", dependencies: ["JSONRPC", "BlenderdProtocol"]),
        .executableTarget(
            name: "blenderd",
            dependencies: [
                "Daemon", "InstancePool", "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // MCP tools forwarded to the daemon through BlenderdClient (one session per MCP client).
        .target(
            name: "BlenderdMCP",
            dependencies: ["BlenderdClient", "BlenderdProtocol", "JSONRPC", .product(name: "MCP", package: "swift-sdk")]
        ),
        .executableTarget(
            name: "blenderctl",
            dependencies: [
                "BlenderdClient", "BlenderdMCP", "BlenderdProtocol", "JSONRPC", "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "DaemonTestSupport", dependencies: ["Daemon", "UVCore", "JSONRPC", "BlenderdClient", "InstancePool", "Sandbox"]),
        .testTarget(name: "UVCoreTests", dependencies: ["UVCore", "DaemonTestSupport"]),
        .testTarget(name: "InstancePoolTests", dependencies: ["InstancePool", "UVCore", "JSONRPC", "DaemonTestSupport", "Sandbox"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC"]),
        .testTarget(name: "SandboxTests", dependencies: ["Sandbox"]),
        .testTarget(name: "BlenderdProtocolTests", dependencies: ["BlenderdProtocol", "JSONRPC", "DaemonTestSupport"]),
        .testTarget(
            name: "DaemonTests",
            dependencies: ["Daemon", "DaemonTestSupport", "BlenderdClient", "JSONRPC", "UVCore"]
        ),
        // Real Blender: Debian's 3.4 executable and PyPI's bpy 4.4 module, behind a real daemon.
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["Daemon", "DaemonTestSupport", "BlenderdClient", "BlenderdProtocol", "JSONRPC", "InstancePool", "Sandbox"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
