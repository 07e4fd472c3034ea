import SwitchyardIO

/// A request's id (API.md §2): the client's `X-Request-Id` when it is sane, else one the gateway
/// makes, 32 lowercase hex digits of 128 random bits.
///
/// A made id is kept as its two numbers and written as hex where it lands (the answer's head, a
/// vendor call's head, a problem document, the access log), so it costs no `String` on a
/// request's way: the ids of a busy gateway are nearly all its own.
public struct RequestID: Sendable, CustomStringConvertible {
    private enum Storage: Sendable {
        case random(high: UInt64, low: UInt64)
        /// A client's id, checked by `init?(given:)`.
        case given(String)
    }

    private let storage: Storage

    /// How many bytes a made id has.
    static let randomLength = 32

    init(high: UInt64, low: UInt64) {
        storage = .random(high: high, low: low)
    }

    /// An id standing where one is stored without an optional and there is none
    /// (`UpstreamRequest.requestID`); never written.
    @usableFromInline static var placeholder: RequestID { RequestID(high: 0, low: 0) }

    /// A client's id, when it is 1…128 visible ASCII characters (API.md: anything else could
    /// smuggle a header or a log line, and is replaced by a made id); nil otherwise.
    public init?(given value: String) {
        guard Self.isSane(value) else { return nil }
        storage = .given(value)
    }

    /// The id's bytes, all visible ASCII. A made id's hex is written into a buffer on the stack.
    public func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        switch storage {
        case .random(let high, let low):
            return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.randomLength) { buffer in
                // Most significant byte first, as the numbers read.
                Hex.write(high.bigEndian, into: buffer, at: 0)
                Hex.write(low.bigEndian, into: buffer, at: 16)
                return try body(UnsafeBufferPointer(buffer))
            }
        case .given(let text):
            return try text.withContiguousUTF8(body)
        }
    }

    /// The id as text: for the places that keep it (a migration report's sample of request ids).
    public var description: String {
        switch storage {
        case .random: withUTF8 { String(decoding: $0, as: UTF8.self) }
        case .given(let text): text
        }
    }

    static func isSane(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= 128 else { return false }
        return value.withContiguousUTF8 { UnsafeRawBufferPointer($0).isVisibleASCII }
    }
}

extension RequestID: ExpressibleByStringLiteral {
    /// A fixed id (a test's, a tool's); it must be one a client could send.
    public init(stringLiteral value: String) {
        guard let id = RequestID(given: value) else { preconditionFailure("\(value) is not a sane request id") }
        self = id
    }
}

extension ByteBuffer {
    public func append(_ id: RequestID) {
        id.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }
}

/// Makes request ids from the loop's `RandomPool`, so an id costs no syscall (API.md §2: ids the
/// gateway makes are not guessable from one another). One generator per loop.
public final class RequestIDGenerator {
    private let random = RandomPool()

    public init() {}

    /// A new id (128 random bits).
    public func next() -> RequestID {
        RequestID(high: random.next(), low: random.next())
    }

    /// 64 random bits from the same pool: for ids kept as numbers (W3C trace and span ids).
    public func nextBits() -> UInt64 {
        random.next()
    }

    /// The request's id: the client's `X-Request-Id` when it is sane, else a new one.
    public func id(given value: String?) -> RequestID {
        value.flatMap(RequestID.init(given:)) ?? next()
    }
}
