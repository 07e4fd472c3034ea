import CLinux

/// Unguessable random numbers for ids (request ids, trace and span ids), drawn from the kernel's
/// CSPRNG a page at a time.
///
/// API.md §2: ids the gateway makes must not be guessable from one another (a counter lets one
/// client predict another's request id or trace). `getrandom` per id would cost a syscall on every
/// request; one call per 4 KiB serves 256 request ids. Owned by one loop (or one thread): not
/// `Sendable`.
public final class RandomPool {
    private var bytes: [UInt8]
    private var position: Int

    public init(size: Int = 4096) {
        precondition(size >= 8 && size % 8 == 0, "the pool hands out whole UInt64s")
        bytes = [UInt8](repeating: 0, count: size)
        position = size
    }

    /// 64 random bits.
    public func next() -> UInt64 {
        if position == bytes.count { refill() }
        defer { position += 8 }
        return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: UInt64.self) }
    }

    private func refill() {
        let rc = bytes.withUnsafeMutableBytes { switchyard_random_bytes($0.baseAddress, $0.count) }
        // getrandom(2) on the urandom source fails only with a bad buffer or before the kernel's
        // pool is first seeded (early boot), which a running gateway never sees; an id that is
        // not random would be a silent security defect, so this stops instead.
        precondition(rc == 0, "getrandom failed")
        position = 0
    }
}
