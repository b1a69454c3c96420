// What this machine offers the sandbox, as a value: where bwrap and prlimit are, whether the kernel
// gives unprivileged processes user namespaces, whether Landlock is built in, and what the file
// system holds at the paths a policy wants to bind. `detect()` reads the real machine (files under
// /proc and /sys, lstat, Landlock's version query; it spawns nothing); tests build hosts by hand.

import CLinuxProbe
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum PathKind: Hashable, Sendable {
    case missing
    case directory
    case file
    /// A symbolic link and its target as stored (`usr/lib` for Debian's `/lib`).
    case symlink(String)
}

public struct SandboxHost: Sendable {
    public enum Availability: Hashable, Sendable {
        case available
        case unavailable(reason: String)

        public var isAvailable: Bool { self == .available }
    }

    /// The bwrap executable; nil when not installed.
    public var bubblewrapPath: String?
    /// util-linux prlimit; nil when not installed.
    public var prlimitPath: String?
    /// util-linux setpriv, for no_new_privs when there is no bwrap; nil when not installed.
    public var setprivPath: String?
    /// util-linux unshare, for a network namespace when there is no bwrap; nil when not installed.
    public var unsharePath: String?
    /// Whether bwrap can create a user namespace for us.
    public var userNamespaces: Availability
    /// Whether the kernel has Landlock enabled (`detectLandlock`), and its ABI version if known.
    public var landlock: Availability
    public var landlockABI: Int?
    /// What is at a path, without following a final symlink.
    public var pathKind: @Sendable (String) -> PathKind

    public init(bubblewrapPath: String?, prlimitPath: String?, setprivPath: String? = nil, unsharePath: String? = nil,
                userNamespaces: Availability = .available,
                landlock: Availability = .available, landlockABI: Int? = nil,
                pathKind: @escaping @Sendable (String) -> PathKind) {
        self.bubblewrapPath = bubblewrapPath
        self.prlimitPath = prlimitPath
        self.setprivPath = setprivPath
        self.unsharePath = unsharePath
        self.userNamespaces = userNamespaces
        self.landlock = landlock
        self.landlockABI = landlockABI
        self.pathKind = pathKind
    }

    /// The machine the daemon runs on. `searchPath` is where bwrap and prlimit are looked for.
    public static func detect(searchPath: String = "/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin") -> SandboxHost {
        SandboxHost(bubblewrapPath: findExecutable("bwrap", in: searchPath),
                    prlimitPath: findExecutable("prlimit", in: searchPath),
                    setprivPath: findExecutable("setpriv", in: searchPath),
                    unsharePath: findExecutable("unshare", in: searchPath),
                    userNamespaces: detectUserNamespaces(),
                    landlock: detectLandlock(),
                    landlockABI: landlockABI(),
                    pathKind: lstatKind)
    }

    // MARK: Detection

    /// lstat(2) and readlink(2).
    @Sendable public static func lstatKind(_ path: String) -> PathKind {
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK:
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &buffer, buffer.count - 1)
            guard count >= 0 else { return .missing }
            return .symlink(String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self))
        default: return .file
        }
    }

    static func findExecutable(_ name: String, in searchPath: String) -> String? {
        for directory in searchPath.split(separator: ":") {
            let candidate = directory + "/" + name
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return String(candidate)
            }
        }
        return nil
    }

    /// Root may always unshare a user namespace; others depend on three knobs, any of which can say no.
    static func detectUserNamespaces(uid: uid_t = getuid(), read: (String) -> String? = readSmallFile) -> Availability {
        if let maximum = read("/proc/sys/user/max_user_namespaces").flatMap({ Int($0) }), maximum == 0 {
            return .unavailable(reason: "user.max_user_namespaces is 0")
        }
        if uid == 0 { return .available }
        if read("/proc/sys/kernel/unprivileged_userns_clone") == "0" {
            return .unavailable(reason: "kernel.unprivileged_userns_clone is 0")
        }
        if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == "1" {
            return .unavailable(reason: "kernel.apparmor_restrict_unprivileged_userns is 1 and bwrap has no AppArmor profile allowing userns")
        }
        return .available
    }

    /// Asks the kernel (landlock_create_ruleset's version query), which works where securityfs is
    /// not mounted (containers, this CI); the LSM list is the fallback for a kernel that refuses
    /// the call for another reason (a seccomp filter answering EPERM, say).
    static func detectLandlock(abi: () -> Int = { Int(blenderd_landlock_abi()) },
                               read: (String) -> String? = readSmallFile) -> Availability {
        let answer = abi()
        if answer >= 1 { return .available }
        switch Int32(-answer) {
        case ENOSYS: return .unavailable(reason: "the kernel has no Landlock (landlock_create_ruleset: ENOSYS)")
        case EOPNOTSUPP: return .unavailable(reason: "Landlock is built into the kernel but not enabled (add landlock to the lsm= boot parameter)")
        default: break
        }
        guard let lsms = read("/sys/kernel/security/lsm") else {
            return .unavailable(reason: "landlock_create_ruleset failed (errno \(-answer)) and /sys/kernel/security/lsm is unreadable")
        }
        return lsms.split(separator: ",").contains("landlock")
            ? .available : .unavailable(reason: "the kernel's LSM list (\(lsms)) has no landlock")
    }

    /// The running kernel's Landlock ABI version, nil when it has none.
    public static func landlockABI() -> Int? {
        let answer = Int(blenderd_landlock_abi())
        return answer >= 1 ? answer : nil
    }

    /// The first 4 KiB of a file, whitespace trimmed; nil when it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(fd, &buffer, buffer.count)
        guard count >= 0 else { return nil }
        let text = String(decoding: buffer[..<count], as: UTF8.self)
        return String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
