@testable import Daemon
import DaemonTestSupport
import Foundation
import Testing

/// The daemon reads rendered images and exports out of a workspace a sandboxed script can write:
/// nothing it plants there (a link to a host file, a hard link, a huge file) may make the daemon
/// read or send what it should not.
@Suite("ScratchDirectory: reading what a worker wrote")
struct ScratchDirectoryTests {
    @Test func readsAPlainFileAndRefusesWhatAScriptCouldPlant() throws {
        let workspace = try TemporaryDirectory.make(prefix: "bd-ws")
        defer { try? FileManager.default.removeItem(atPath: workspace) }
        let secret = workspace + "-secret"
        try Data("host secret".utf8).write(to: URL(fileURLWithPath: secret))
        defer { try? FileManager.default.removeItem(atPath: secret) }

        let scratch = try ScratchDirectory(base: workspace)
        let render = try scratch.subdirectory("render-1-i1")
        #expect(render.path == workspace + "/.blenderd/render-1-i1")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: render.file("view-0.png")))
        #expect(try render.read("view-0.png", maxBytes: 10) == [1, 2, 3])
        try Data().write(to: URL(fileURLWithPath: render.file("empty.png")))
        #expect(try render.read("empty.png", maxBytes: 10) == [])

        // A symbolic link to a host file, a hard link to one, a file over the limit, nothing.
        try FileManager.default.createSymbolicLink(atPath: render.file("view-1.png"), withDestinationPath: secret)
        #expect(throws: ScratchError.self) { try render.read("view-1.png", maxBytes: 100) }
        #expect(link(secret, render.file("view-2.png")) == 0)
        #expect(throws: ScratchError.self) { try render.read("view-2.png", maxBytes: 100) }
        #expect(throws: ScratchError.self) { try render.read("view-0.png", maxBytes: 2) }
        #expect(throws: ScratchError.self) { try render.read("missing.png", maxBytes: 2) }

        // A link planted where the render directory goes is replaced, not followed.
        let hostDirectory = workspace + "-host"
        try FileManager.default.createDirectory(atPath: hostDirectory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: hostDirectory) }
        try FileManager.default.createSymbolicLink(atPath: scratch.file("render-2-i1"), withDestinationPath: hostDirectory)
        let second = try scratch.subdirectory("render-2-i1")
        try Data([9]).write(to: URL(fileURLWithPath: second.file("view-0.png")))
        #expect(try FileManager.default.contentsOfDirectory(atPath: hostDirectory).isEmpty, "wrote through a planted link")

        // Removing a render directory removes its entries, links unfollowed.
        render.close()
        scratch.removeDirectory("render-1-i1")
        #expect(!FileManager.default.fileExists(atPath: workspace + "/.blenderd/render-1-i1"))
        #expect(FileManager.default.fileExists(atPath: secret), "the link's target survives")
        #expect(throws: ScratchError.self) { try scratch.subdirectory("../escape") }
    }
}
