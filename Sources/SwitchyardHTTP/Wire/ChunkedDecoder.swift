import SwitchyardIO

/// The outcome of one `ChunkedDecoder.decode` call. `consumed` bytes of the buffer have been used
/// (their payload, if any, is in the body) and must be dropped before the next call.
public enum ChunkedDecodeResult: Equatable, Sendable {
    /// All of the buffer was used and the body is not finished; call again when bytes arrive.
    case incomplete(consumed: Int)
    /// The last chunk and the trailer section ended after `consumed` bytes; what follows belongs
    /// to the next request.
    case complete(consumed: Int)
    /// The body is invalid; answer with `error.status` and close the connection.
    case failure(HTTPParseError)
}

/// A strict, incremental decoder of the chunked transfer coding (RFC 9112 §7.1).
///
/// A byte-at-a-time state machine for the framing and a bulk copy for chunk data, so it never
/// rescans or buffers anything of its own: however the body is split across reads, each byte is
/// looked at once, and the only memory it grows is the body it appends to.
///
/// Strict in the same spirit as `RequestParser`: sizes are `1*HEXDIG` (at most 15 digits, so they
/// cannot overflow), every line ends in exactly CRLF, extensions are tolerated but bounded, trailer
/// fields obey the head's field-line rules and are discarded. The body limit is enforced from the
/// chunk size, before the data is read.
public struct ChunkedDecoder: Sendable {
    /// Bound on the extension part of one chunk-size line. Extensions carry nothing we use, and
    /// without a bound a client could stream an endless size line.
    public static let maxChunkExtensionBytes = 4096
    /// 15 hex digits are 60 bits: any valid size fits an `Int` and adding it to a body length cannot overflow.
    public static let maxChunkSizeDigits = 15

    public let limits: HTTPLimits

    private enum State: Sendable, Equatable {
        case size               // chunk-size digits
        case sizeWhitespace     // BWS between the size and a ';'
        case chunkExtension     // from the first ';' to CR
        case sizeLineFeed       // LF ending the size line
        case data               // `remaining` payload bytes
        case dataCarriageReturn // CR after the data
        case dataLineFeed       // LF after the data
        case trailerLineStart   // a trailer field line, or the final CRLF
        case trailerName
        case trailerValue
        case trailerLineFeed
        case finalLineFeed
        case finished
        case failed(HTTPParseError)
    }

    private var state: State = .size
    private var digits = 0
    private var chunkSize = 0
    private var remaining = 0
    private var extensionBytes = 0
    /// Payload bytes announced by the sizes read so far; the `maxBodyBytes` check runs on this.
    private var announced = 0
    private var trailerBytes = 0
    private var trailerFields = 0

    public init(limits: HTTPLimits) {
        self.limits = limits
    }

    /// Prepares for the next chunked body.
    public mutating func reset() {
        self = ChunkedDecoder(limits: limits)
    }

    /// Decodes as much of `buffer` as possible, appending chunk data to `body`.
    ///
    /// `buffer` starts at the first byte not consumed by an earlier call. After `.complete`, further
    /// calls return `.complete(consumed: 0)`; after `.failure`, the same failure; until `reset()`.
    public mutating func decode(_ buffer: UnsafeRawBufferPointer, appendingTo body: inout [UInt8]) -> ChunkedDecodeResult {
        switch state {
        case .finished: return .complete(consumed: 0)
        case .failed(let error): return .failure(error)
        default: break
        }
        var index = 0
        let count = buffer.count
        do throws(HTTPParseError) {
            while index < count {
                if state == .data {
                    let take = min(remaining, count - index)
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index..<(index + take)]))
                    index += take
                    remaining -= take
                    if remaining == 0 { state = .dataCarriageReturn }
                    continue
                }
                let byte = buffer[index]
                index += 1
                if try step(byte) {
                    state = .finished
                    return .complete(consumed: index)
                }
            }
        } catch {
            state = .failed(error)
            return .failure(error)
        }
        return .incomplete(consumed: count)
    }

    /// Advances the framing state machine by one byte; returns true when the body has ended.
    private mutating func step(_ byte: UInt8) throws(HTTPParseError) -> Bool {
        // A LF is only ever valid right after a CR, and those states are handled below: anywhere
        // else it is a bare LF, the line-ending disagreement smuggling relies on.
        switch state {
        case .sizeLineFeed, .dataLineFeed, .trailerLineFeed, .finalLineFeed:
            guard byte == HTTPSyntax.lf else { throw .bareCarriageReturn }
        default:
            if byte == HTTPSyntax.lf { throw .bareLineFeed }
        }

        switch state {
        case .size:
            if let value = ASCII.hexValue(byte) {
                digits += 1
                guard digits <= Self.maxChunkSizeDigits else { throw .chunkSizeOverflow }
                chunkSize = chunkSize << 4 | Int(value)
                return false
            }
            guard digits > 0 else { throw .invalidChunkSize }
            // The size is known once its digits end: refuse it before any of its data arrives.
            // (Checked here rather than per digit so an absurd size reads as the syntax error it is.)
            guard announced + chunkSize <= limits.maxBodyBytes else { throw .bodyTooLarge }
            switch byte {
            case HTTPSyntax.cr: state = .sizeLineFeed
            case UInt8(ascii: ";"): state = .chunkExtension; try countExtensionByte()
            case HTTPSyntax.sp, HTTPSyntax.htab: state = .sizeWhitespace; try countExtensionByte()
            default: throw .invalidChunkSize
            }
        case .sizeWhitespace:
            // BWS is only allowed before a ';' (RFC 9112 §7.1.1); `5 5` or `5 \r\n` is not a size.
            try countExtensionByte()
            if byte == UInt8(ascii: ";") {
                state = .chunkExtension
            } else if !HTTPSyntax.isWhitespace(byte) {
                throw .invalidChunkSize
            }
        case .chunkExtension:
            if byte == HTTPSyntax.cr {
                state = .sizeLineFeed
            } else {
                // Names, values and quoted strings are not parsed, only kept printable and bounded.
                guard HTTPSyntax.isFieldValueByte(byte) else { throw .malformedChunk }
                try countExtensionByte()
            }
        case .sizeLineFeed:
            if chunkSize == 0 {
                state = .trailerLineStart
            } else {
                announced += chunkSize
                remaining = chunkSize
                state = .data
            }
            digits = 0
            chunkSize = 0
            extensionBytes = 0
        case .data:
            preconditionFailure("chunk data is copied in bulk by decode")
        case .dataCarriageReturn:
            guard byte == HTTPSyntax.cr else { throw .malformedChunk }
            state = .dataLineFeed
        case .dataLineFeed:
            state = .size
        case .trailerLineStart:
            try countTrailerByte()
            if byte == HTTPSyntax.cr {
                state = .finalLineFeed
            } else if HTTPSyntax.isWhitespace(byte) {
                throw .obsoleteLineFolding
            } else if HTTPSyntax.isTokenCharacter(byte) {
                trailerFields += 1
                guard trailerFields <= limits.maxHeaderCount else { throw .trailerTooLarge }
                state = .trailerName
            } else {
                throw .invalidFieldName
            }
        case .trailerName:
            try countTrailerByte()
            if byte == HTTPSyntax.colon {
                state = .trailerValue
            } else if HTTPSyntax.isWhitespace(byte) {
                throw .whitespaceBeforeColon
            } else if byte == HTTPSyntax.cr {
                throw .malformedHeaderField
            } else if !HTTPSyntax.isTokenCharacter(byte) {
                throw .invalidFieldName
            }
        case .trailerValue:
            try countTrailerByte()
            if byte == HTTPSyntax.cr {
                state = .trailerLineFeed
            } else if !HTTPSyntax.isFieldValueByte(byte) {
                throw .invalidFieldValue
            }
        case .trailerLineFeed:
            try countTrailerByte()
            state = .trailerLineStart
        case .finalLineFeed:
            return true
        case .finished, .failed:
            preconditionFailure("decode returns before stepping a finished decoder")
        }
        return false
    }

    private mutating func countExtensionByte() throws(HTTPParseError) {
        extensionBytes += 1
        guard extensionBytes <= Self.maxChunkExtensionBytes else { throw .chunkExtensionTooLong }
    }

    private mutating func countTrailerByte() throws(HTTPParseError) {
        trailerBytes += 1
        guard trailerBytes <= limits.maxHeaderBytes else { throw .trailerTooLarge }
    }
}
