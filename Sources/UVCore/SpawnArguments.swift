// NUL-terminated C string arrays (argv, envp) for uv_spawn, freed when this object goes away.
// uv_spawn forks and execs before it returns, so the arrays only need to outlive that call.

#if canImport(Glibc)
import Glibc
#endif

final class CStringArray {
    private(set) var pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) }
        pointers.append(nil)
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }

    /// The array as `char **`, valid while `body` runs.
    func withPointer<R>(_ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
        pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}
