import CZlib

/// Why a gzip body could not be decoded.
public enum GzipError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The decoded body would exceed the caller's limit (a "zip bomb" stops here, not in memory).
    case tooLarge
    /// Not gzip, or corrupt.
    case malformed
    /// The stream ended before the gzip trailer.
    case truncated
    /// Bytes follow the member's trailer: junk, or a second member. RFC 1952 allows members in a
    /// row, but readers disagree on them (many stop after the first), so what one reader checks
    /// another could act on; API.md §2 refuses them.
    case trailingData

    /// For a problem's `detail`: what is wrong, in words.
    public var description: String {
        switch self {
        case .tooLarge: "it inflates past the size limit"
        case .malformed: "it is not valid gzip"
        case .truncated: "it ends before the gzip trailer"
        case .trailingData: "bytes follow the end of the gzip member"
        }
    }
}

/// A reusable zlib deflate stream producing gzip (RFC 1952) members.
///
/// Owned by one loop and reused with `deflateReset`: setting a deflate stream up allocates
/// about 256 KiB of state, far more than compressing a device document costs.
public final class GzipEncoder {
    private var stream = z_stream()
    private let level: Int32

    public init(level: Int32 = 5) {
        self.level = level
        // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of zlib's own.
        let rc = switchyard_deflateInit2(&stream, level, 15 + 16, 8)
        precondition(rc == Z_OK, "deflateInit2 failed: \(rc)")
    }

    deinit {
        deflateEnd(&stream)
    }

    public func compress(_ input: [UInt8]) -> [UInt8] {
        deflateReset(&stream)
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let produced = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = destination.baseAddress
                stream.avail_out = uInt(destination.count)
                let rc = deflate(&stream, Z_FINISH)
                // deflateBound guarantees one Z_FINISH call completes.
                precondition(rc == Z_STREAM_END, "deflate did not finish: \(rc)")
                return destination.count - Int(stream.avail_out)
            }
        }
        output.removeLast(output.count - produced)
        return output
    }
}

/// A reusable zlib inflate stream for gzip bodies, with a cap on the decoded size.
public final class GzipDecoder {
    private var stream = z_stream()

    public init() {
        let rc = switchyard_inflateInit2(&stream, 15 + 16)
        precondition(rc == Z_OK, "inflateInit2 failed: \(rc)")
    }

    deinit {
        inflateEnd(&stream)
    }

    /// Decodes exactly one gzip member; fails with `.tooLarge` as soon as the output passes
    /// `limit`, and with `.trailingData` when anything follows the member.
    public func decompress(_ input: [UInt8], limit: Int) throws(GzipError) -> [UInt8] {
        inflateReset(&stream)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let failure: GzipError? = input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while true {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { destination in
                    stream.next_out = destination.baseAddress
                    stream.avail_out = uInt(destination.count)
                    let rc = inflate(&stream, Z_NO_FLUSH)
                    return (rc, destination.count - Int(stream.avail_out))
                }
                if output.count + produced > limit { return .tooLarge }
                output.append(contentsOf: chunk[0..<produced])
                switch rc {
                case Z_STREAM_END: return stream.avail_in == 0 ? nil : .trailingData
                case Z_OK: continue
                case Z_BUF_ERROR: return stream.avail_in == 0 ? .truncated : .malformed
                default: return .malformed
                }
            }
        }
        if let failure { throw failure }
        return output
    }
}
