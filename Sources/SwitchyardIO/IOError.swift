#if canImport(Glibc)
import Glibc
#endif

/// A failed system call, with the call's name and `errno`, so that a log line says what failed
/// and why without a debugger.
public struct IOError: Error, CustomStringConvertible, Sendable, Equatable {
    public var call: String
    public var errno: Int32

    public init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String {
        "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
