import Glibc
import Testing
@testable import Sandbox

@Suite struct WorkerPathsTests {
    @Test func debianBlenderAddsOnlyTheAddon() {
        let paths = SandboxPolicy.workerPaths(executable: "/usr/bin/blender", addonDirectory: "/srv/blenderd/addon/",
                                              realPath: { $0 }, readFile: { _ in nil })
        #expect(paths == ["/srv/blenderd/addon"])
    }

    @Test func tarballBlenderAddsItsDirectory() {
        let paths = SandboxPolicy.workerPaths(executable: "/usr/local/bin/blender", addonDirectory: "/srv/addon",
                                              realPath: { _ in "/opt/blender-4.2.1-linux-x64/blender" }, readFile: { _ in nil })
        #expect(paths == ["/opt/blender-4.2.1-linux-x64", "/srv/addon"])
    }

    @Test func venvAddsTheVenvAndTheBasePython() {
        let config = "home = /opt/pyenv/versions/3.11.7/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"
        let paths = SandboxPolicy.workerPaths(
            executable: "/srv/blenderd/.venv/bin/python", addonDirectory: "/srv/blenderd/addon",
            realPath: { _ in "/opt/pyenv/versions/3.11.7/bin/python3.11" },
            readFile: { $0 == "/srv/blenderd/.venv/pyvenv.cfg" ? config : nil })
        #expect(paths == ["/srv/blenderd/.venv", "/opt/pyenv/versions/3.11.7", "/srv/blenderd/addon"])
    }

    @Test func normalization() {
        #expect(SandboxPolicy.normalize("/a//b/./c/../d/") == "/a/b/d")
        #expect(SandboxPolicy.normalize("/") == "/")
        #expect(SandboxPolicy.isWithin("/run/user/1000", "/run"))
        #expect(!SandboxPolicy.isWithin("/runner", "/run"))
        #expect(SandboxPolicy.parent("/a/b") == "/a" && SandboxPolicy.parent("/a") == "/")
    }

    @Test func hostDetectionKnobs() {
        #expect(SandboxHost.detectUserNamespaces(uid: 1000, read: { _ in nil }) == .available)
        #expect(SandboxHost.detectUserNamespaces(uid: 0, read: { $0.hasSuffix("max_user_namespaces") ? "0" : nil }) != .available)
        #expect(SandboxHost.detectUserNamespaces(uid: 1000, read: { $0.hasSuffix("unprivileged_userns_clone") ? "0" : nil }) != .available)
        #expect(SandboxHost.detectUserNamespaces(uid: 0, read: { $0.hasSuffix("unprivileged_userns_clone") ? "0" : nil }) == .available)
        // The kernel's answer decides; the LSM list only when the call itself was refused.
        #expect(SandboxHost.detectLandlock(abi: { 7 }, read: { _ in nil }) == .available)
        #expect(SandboxHost.detectLandlock(abi: { -Int(ENOSYS) }, read: { _ in "landlock" }) != .available)
        #expect(SandboxHost.detectLandlock(abi: { -Int(EOPNOTSUPP) }, read: { _ in "landlock" }) != .available)
        #expect(SandboxHost.detectLandlock(abi: { -Int(EPERM) }, read: { _ in "lockdown,capability,landlock,yama" }) == .available)
        #expect(SandboxHost.detectLandlock(abi: { -Int(EPERM) }, read: { _ in "capability,apparmor" }) != .available)
        #expect(SandboxHost.detectLandlock(abi: { -Int(EPERM) }, read: { _ in nil }) != .available)
    }

    /// The real kernel: the CI machines run Linux with Landlock (ABI 7 here; the worker applies it).
    @Test func thisKernelOffersLandlock() throws {
        let abi = try #require(SandboxHost.landlockABI(), "landlock_create_ruleset refused the version query")
        #expect(abi >= 1)
        #expect(SandboxHost.detectLandlock() == .available)
    }
}
