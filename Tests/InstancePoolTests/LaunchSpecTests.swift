import InstancePool
import XCTest

final class LaunchSpecTests: XCTestCase {
    private let inherited = ["PATH": "/opt/bin:/usr/bin", "HOME": "/home/artist", "TMPDIR": "/scratch"]

    func testExecutableLauncher() {
        let launcher = Launcher.executable(blender: "/usr/bin/blender", addonDirectory: "/repo/addon", inheritedEnvironment: inherited)
        let spec = launcher.spec(gpu: nil)
        XCTAssertEqual(spec.executable, "/usr/bin/blender")
        XCTAssertEqual(spec.arguments, ["-b", "--factory-startup", "-noaudio", "-Y", "--python-exit-code", "1",
                                        "--python", "/repo/addon/blenderd/worker_main.py", "--", "--fd", "3"])
        XCTAssertEqual(spec.environment, [
            "PATH": "/opt/bin:/usr/bin", "HOME": "/home/artist", "TMPDIR": "/scratch",
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONNOUSERSITE": "1",
        ])
        XCTAssertEqual(launcher.probeSpec?.arguments, ["--version"])
    }

    func testModuleLauncher() {
        let launcher = Launcher.module(python: "/venv/bin/python", addonDirectory: "/repo/addon/", inheritedEnvironment: inherited)
        let spec = launcher.spec(gpu: nil)
        XCTAssertEqual(spec.executable, "/venv/bin/python")
        XCTAssertEqual(spec.arguments, ["-m", "blenderd.worker", "--fd", "3"])
        XCTAssertEqual(spec.environment["PYTHONPATH"], "/repo/addon/")
        XCTAssertEqual(spec.environment["PYTHONNOUSERSITE"], "1")
        XCTAssertEqual(launcher.probeSpec?.arguments, ["-c", "import bpy; print(bpy.app.version_string)"])
    }

    func testEnvironmentIsScrubbed() {
        // Only the listed variables reach the worker: nothing else of the daemon's environment.
        let leaky = inherited.merging(["AWS_SECRET_ACCESS_KEY": "x", "PYTHONPATH": "/home/dev/lib", "LD_PRELOAD": "evil.so"]) { a, _ in a }
        let spec = Launcher.executable(blender: "blender", addonDirectory: "/a", inheritedEnvironment: leaky).spec(gpu: nil)
        XCTAssertEqual(Set(spec.environment.keys), ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PYTHONNOUSERSITE"])
        let bare = Launcher.executable(blender: "blender", addonDirectory: "/a", inheritedEnvironment: [:]).spec(gpu: nil)
        XCTAssertEqual(bare.environment["PATH"], "/usr/local/bin:/usr/bin:/bin", "a daemon without PATH still finds programs")
        XCTAssertNil(bare.environment["HOME"])
    }

    func testGPUPinning() {
        let gpu = GPUDevice(index: 2, type: "OPTIX", name: "RTX")
        let spec = Launcher.module(python: "python3", addonDirectory: "/a", inheritedEnvironment: inherited).spec(gpu: gpu)
        XCTAssertEqual(spec.environment["CUDA_VISIBLE_DEVICES"], "2")
        XCTAssertEqual(spec.environment["HIP_VISIBLE_DEVICES"], "2")
        XCTAssertEqual(spec.environment["BLENDERD_GPU_INDEX"], "2")
        XCTAssertEqual(spec.environment["BLENDERD_GPU_TYPE"], "OPTIX")
        XCTAssertNil(Launcher.module(python: "python3", addonDirectory: "/a").spec(gpu: nil).environment["CUDA_VISIBLE_DEVICES"])
    }

    func testCustomLauncher() {
        let launcher = Launcher.custom(executable: "/usr/bin/python3", arguments: ["fake.py"], environment: ["FAKE": "1"],
                                       kind: .executable, version: BlenderVersion(3, 4, 1))
        let spec = launcher.spec(gpu: nil)
        XCTAssertEqual(spec.arguments, ["fake.py"])
        XCTAssertEqual(spec.environment["FAKE"], "1")
        XCTAssertEqual(spec.environment["LC_ALL"], "C.UTF-8")
        XCTAssertNil(launcher.probeSpec, "a custom launcher knows its version")
        XCTAssertEqual(launcher.knownVersion, BlenderVersion(3, 4, 1))
    }

    func testDetectFindsBlenderOnPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("detect-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fake = directory.appendingPathComponent("blender").path
        _ = FileManager.default.createFile(atPath: fake, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        let python = directory.appendingPathComponent("python3").path
        _ = FileManager.default.createFile(atPath: python, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])

        let found = Launcher.detect(blender: nil, bpyPython: python, addonDirectory: "/a", searchPath: "/nonexistent:" + directory.path)
        XCTAssertEqual(found.map(\.kind), [.executable, .module])
        XCTAssertEqual(found.map(\.path), [fake, python])
        XCTAssertEqual(Launcher.detect(blender: nil, bpyPython: nil, addonDirectory: "/a", searchPath: "/nonexistent"), [])
        XCTAssertEqual(Launcher.detect(blender: "/no/such/blender", bpyPython: nil, addonDirectory: "/a").count, 0)
    }

    func testResidentMemoryParsing() {
        XCTAssertEqual(ResidentMemory.parseStatus("Name:\tblender\nVmRSS:\t  123456 kB\nThreads: 4\n"), 123456 * 1024)
        XCTAssertNil(ResidentMemory.parseStatus("Name: x\n"))
        XCTAssertGreaterThan(ResidentMemory.bytes(pid: getpid()) ?? 0, 1 << 20, "this test process has an RSS")
        XCTAssertNil(ResidentMemory.bytes(pid: -1))
    }
}
