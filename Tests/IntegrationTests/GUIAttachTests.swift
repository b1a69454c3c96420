import BlenderdClient
import DaemonTestSupport
import Foundation
import JSONRPC
import Testing

/// A windowed Blender 3.4 under Xvfb enables the add-on, presses Connect, attaches with the
/// token, and runs `script.exec` on its main thread. A screenshot of the window with the
/// sidebar's blenderd panel is saved to artifacts/gui-attach.png (not committed).
@Suite("GUI Blender attaches", .serialized)
struct GUIAttachTests {
    @Test func windowedBlenderAttachesAndRunsScripts() throws {
        let xvfb = try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/Xvfb") ? "/usr/bin/Xvfb" : nil,
                                "Xvfb missing: scripts/bootstrap.sh installs it")
        let blender = try #require(RealBlender.executable, "Debian blender missing")
        let daemon = try BlenderDaemon.daemon()
        let display = ":\(90 + Int(getpid() % 9))"
        let screen = Process()
        screen.executableURL = URL(fileURLWithPath: xvfb)
        screen.arguments = [display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"]
        screen.standardError = FileHandle.nullDevice
        try screen.run()
        // SIGKILL: children of Foundation.Process inherit its blocked SIGTERM. Killed, Xvfb leaves
        // its lock file and socket behind: removed here.
        defer {
            kill(screen.processIdentifier, SIGKILL)
            screen.waitUntilExit()
            let number = display.dropFirst()
            try? FileManager.default.removeItem(atPath: "/tmp/.X\(number)-lock")
            try? FileManager.default.removeItem(atPath: "/tmp/.X11-unix/X\(number)")
        }
        usleep(500_000)

        let gui = Process()
        gui.executableURL = URL(fileURLWithPath: blender)
        let start = RealBlender.repositoryRoot + "/tests/python/gui_window_start.py"
        let token = (daemon.socketPath as NSString).deletingLastPathComponent + "/attach.token"
        gui.arguments = ["--factory-startup", "-noaudio", "--python", start, "--", daemon.socketPath, token]
        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display
        gui.environment = environment
        // Kept for the failure message: why a GUI did not attach is in Blender's own output.
        let outputPath = NSTemporaryDirectory() + "blenderd-gui-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)  // FileHandle below says if it failed
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        gui.standardOutput = output
        gui.standardError = output
        try gui.run()
        defer {
            if gui.isRunning { kill(gui.processIdentifier, SIGKILL) }
            gui.waitUntilExit()
        }

        let client = try BlenderDaemon.client()
        var attached: JSONValue?
        // A GUI Blender starts in ~10 s here alone, but the full suite runs it beside other Blenders
        // on two cores: allow a minute.
        for _ in 0..<600 where attached == nil {
            let instances = try client.call("instance.list")["instances"]?.arrayValue ?? []
            attached = instances.first { $0["kind"] == "gui" }
            if attached == nil { usleep(100_000) }
        }
        let blenderOutput = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let instance = try #require(attached, "the GUI Blender did not attach within 60 s; its output:\n\(blenderOutput.suffix(3000))")
        #expect(instance["headless"] == false)
        #expect(instance["blender"]?.stringValue?.hasPrefix("3.4") == true)

        // A session that does not ask for the GUI never lands in it: scripts run unsandboxed there.
        let headless = try client.call("session.open", params: [:])
        #expect(headless["headless"] == true && headless["kind"] != "gui", "\(headless)")
        _ = try? client.call("session.close", params: ["session": headless["session"] ?? .null])

        let session = try client.openSession(["headless": false])
        let result = try client.exec(session, """
            import bpy, threading
            result = {"background": bpy.app.background, "main_thread": threading.current_thread() is threading.main_thread()}
            """)
        #expect(result["value"]?["background"] == false)
        #expect(result["value"]?["main_thread"] == true)

        // Open the sidebar on the blenderd tab and take a screenshot of the window.
        let artifacts = RealBlender.repositoryRoot + "/artifacts"
        try FileManager.default.createDirectory(atPath: artifacts, withIntermediateDirectories: true)
        let png = artifacts + "/gui-attach.png"
        try? FileManager.default.removeItem(atPath: png)
        // Blender 3.4 cannot select a sidebar tab from Python (region.active_panel_category is
        // 4.2+), so the panel is shown as a popup at the 3D View's centre as well.
        _ = try client.exec(session, """
            import bpy
            for area in bpy.context.screen.areas:
                if area.type == 'VIEW_3D':
                    area.spaces.active.show_region_ui = True
                    area.tag_redraw()
                    region = next(r for r in area.regions if r.type == 'WINDOW')
                    bpy.context.window.cursor_warp(region.x + region.width // 2, region.y + region.height // 2)
                    with bpy.context.temp_override(area=area, region=region):
                        bpy.ops.wm.call_panel(name="BLENDERD_PT_panel", keep_open=True)
            """)
        // Let a few redraws happen before the capture.
        usleep(1_000_000)
        _ = try client.exec(session, "import bpy\nbpy.ops.screen.screenshot(filepath=\(JSON.string(.string(png))))")
        let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
        #expect(size > 10_000, "screenshot \(png) is \(size) bytes")
        _ = try client.call("session.close", params: ["session": .string(session)])
    }
}
