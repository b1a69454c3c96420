// One queued write: a uv_write_t followed, in the same allocation, by its byte count and a copy
// of the bytes. The request owns its buffer, so the caller's array can go away at once, and one
// malloc/free pair covers both (libuv's pipe-echo-server pattern, without the second malloc).
//
//   [ uv_write_t | padding ][ Int byteCount ][ bytes … ]
//   ^ raw                   ^ countOffset    ^ bytesOffset

internal import CLibUV

struct WriteRequest {
    let raw: UnsafeMutableRawPointer

    private static let countOffset = (MemoryLayout<uv_write_t>.size + 15) & ~15
    private static let bytesOffset = countOffset + MemoryLayout<Int>.size

    /// Copies `parts`, skipping their first `skipping` bytes (already written by uv_try_write).
    static func make(copying parts: UnsafeBufferPointer<UnsafeRawBufferPointer>, skipping: Int, byteCount: Int) -> WriteRequest {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytesOffset + byteCount, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytesOffset)
        raw.storeBytes(of: byteCount, toByteOffset: countOffset, as: Int.self)
        var destination = raw + bytesOffset
        var skip = skipping
        for part in parts {
            // uv_try_write may have taken whole parts and some of the next one.
            guard part.count > skip else {
                skip -= part.count
                continue
            }
            let tail = UnsafeRawBufferPointer(rebasing: part[skip...])
            destination.copyMemory(from: tail.baseAddress!, byteCount: tail.count)
            destination += tail.count
            skip = 0
        }
        precondition(destination == raw + bytesOffset + byteCount)
        return WriteRequest(raw: raw)
    }

    init(raw: UnsafeMutableRawPointer) { self.raw = raw }

    var request: UnsafeMutablePointer<uv_write_t> { raw.assumingMemoryBound(to: uv_write_t.self) }
    var byteCount: Int { raw.load(fromByteOffset: Self.countOffset, as: Int.self) }
    var buffer: uv_buf_t {
        uv_buf_t(base: (raw + Self.bytesOffset).assumingMemoryBound(to: CChar.self), len: byteCount)
    }

    func free() { raw.deallocate() }
}
