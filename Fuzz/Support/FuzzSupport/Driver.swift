import CLibFuzzer
#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's `LLVMFuzzerTestOneInput`: one input, `size` bytes at `data` (in a heap block of
/// exactly that size, so AddressSanitizer sees a read past its end). Return 0.
public typealias FuzzTestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

public enum FuzzDriver {
    /// Runs libFuzzer with the process's arguments and `test` as the target; never returns.
    ///
    /// Each target's `@main` calls this rather than relying on libFuzzer's own `main`: SwiftPM
    /// compiles an executable's entry point as `<module>_main` and links `main` to that symbol,
    /// so the target must have one.
    public static func run(_ test: FuzzTestOneInput) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, test))
    }
}

/// The input as a raw buffer over libFuzzer's own block (no copy, so out-of-bounds reads are caught).
@inlinable
public func fuzzBuffer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
}

/// Checks one of a target's invariants: when it does not hold, prints what was expected and
/// aborts, which libFuzzer reports as a crash and saves the input for.
@inlinable
public func invariant(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { invariantFailure(message(), file: file, line: line) }
}

@usableFromInline
func invariantFailure(_ message: String, file: StaticString, line: UInt) -> Never {
    let text = Array("\n==INVARIANT== \(file):\(line): \(message)\n".utf8)
    _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    abort()
}

/// Where to cut an input for incremental parsing: the same bytes delivered in pieces must give
/// the same outcome as delivered at once. Thirds for any input, and every byte boundary for
/// small ones (a client may send a head a byte at a time).
public func splitPlans(size: Int, byteAtATimeUpTo limit: Int = 384) -> [[Int]] {
    var plans: [[Int]] = []
    if size >= 3 { plans.append([size / 3, 2 * size / 3, size]) }
    if size >= 2 { plans.append([1, size]) }
    if size > 0, size <= limit { plans.append(Array(1...size)) }
    return plans
}
