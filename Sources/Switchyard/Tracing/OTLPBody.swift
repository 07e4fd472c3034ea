import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import W3CTraceContext

/// Spans as an OTLP/HTTP JSON request body (`ExportTraceServiceRequest`, opentelemetry-proto's
/// JSON mapping), written on a loop as each span ends: ids as lowercase hex (not base64, unlike
/// proto3's default JSON), enums as numbers, 64-bit integers (times, `intValue`) as decimal
/// strings.
///
/// The body is one resource (the gateway, named `serviceName`) with one scope, and its spans are
/// written straight after that beginning (`OTLPSpanWriter`): no span is ever held as values
/// (strings, an attribute array) to be freed and encoded later, and the exporter sends the bytes
/// as they are. The shape is fixed, so it is written by hand: member names and the punctuation
/// around them are constant fragments, and only the values (escaped strings, hex ids, decimal
/// numbers) are written per span. That is what keeps tracing at `sampleRatio: 1` within a few
/// microseconds a request (Benchmarks/RESULTS.md).
struct OTLPBody {
    /// The body so far: an array, so that it is handed to the exporter's request as it is.
    private var bytes: [UInt8] = []
    /// The span being written: it is copied onto `bytes` when it ends, a copy short enough to be a
    /// few vector moves, where copying a whole body of hundreds of kilobytes at hand-over would
    /// touch every byte again.
    private let current = ByteBuffer(capacity: 4096)
    /// Everything before the first span, the same for every body of the process.
    private let beginning: [UInt8]
    private(set) var spanCount = 0
    var byteCount: Int { bytes.count }
    private var lastBodyCount = Self.smallestCapacity
    private static let smallestCapacity = 64 * 1024

    init(serviceName: String) {
        var bytes: [UInt8] = []
        Self.append(#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"#, to: &bytes)
        JSONWriter.appendQuoted(serviceName, to: &bytes)
        Self.append(#"}},{"key":"service.version","value":{"stringValue":"#, to: &bytes)
        JSONWriter.appendQuoted(SwitchyardVersion.number, to: &bytes)
        Self.append(#"}}]},"scopeSpans":[{"scope":{"name":"switchyard","version":"#, to: &bytes)
        JSONWriter.appendQuoted(SwitchyardVersion.number, to: &bytes)
        Self.append(#"},"spans":["#, to: &bytes)
        beginning = bytes
    }

    /// A span written into the body; `record` ends it.
    func span(kind: OTLPSpanWriter.Kind, traceID: TraceID, spanID: SpanID, parentID: SpanID?, name: String,
              nameSuffix: String? = nil, startUnixNanos: UInt64, endUnixNanos: UInt64) -> OTLPSpanWriter {
        current.clear()
        return OTLPSpanWriter(into: current, kind: kind, traceID: traceID, spanID: spanID, parentID: parentID, name: name,
                              nameSuffix: nameSuffix, startUnixNanos: startUnixNanos, endUnixNanos: endUnixNanos)
    }

    mutating func record(_ span: consuming OTLPSpanWriter, isError: Bool) {
        span.finish(isError: isError)
        if spanCount == 0 {
            // The body that went last tells how much room this one will need: no growing (and
            // copying) while spans keep coming at the same pace.
            bytes.reserveCapacity(lastBodyCount)
            bytes.append(contentsOf: beginning)
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        bytes.append(contentsOf: current.readableBytes)
        spanCount += 1
    }

    /// The finished body with its spans, and an empty one in its place; nil when there are none.
    mutating func take() -> EncodedSpans? {
        guard spanCount > 0 else { return nil }
        Self.append("]}]}]}", to: &bytes)
        let body = EncodedSpans(body: bytes, count: spanCount)
        lastBodyCount = max(Self.smallestCapacity, bytes.count)
        bytes = []
        spanCount = 0
        return body
    }

    private static func append(_ fragment: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: fragment.utf8Start, count: fragment.utf8CodeUnitCount))
    }
}

/// A whole OTLP JSON request body and how many spans it holds: what a loop hands the exporter.
struct EncodedSpans: Sendable {
    var body: [UInt8]
    var count: Int
}

/// One span being written into a loop's buffer as an OTLP JSON `Span` object (API.md §6 says
/// which spans and attributes): the ids, name, kind and times when it starts, attributes one by
/// one, the status and the closing braces in `finish`. Spans are written once they are over, so
/// both times are known at the start.
///
/// The writer keeps its own cursor into the buffer's free space and makes room only when a
/// value would not fit (`ensure`): a span is a few dozen small copies, and a call into the
/// buffer for each cost more than the copies.
struct OTLPSpanWriter: ~Copyable {
    /// OTLP's `SpanKind` numbers.
    enum Kind: Int {
        case server = 2
        case client = 3
    }

    private let buffer: ByteBuffer
    private var cursor: UnsafeMutableRawPointer
    private var end: UnsafeMutableRawPointer
    private var attributeCount = 0
    /// Room made when a span starts: enough for a span of the gateway's without growing.
    private static let expectedBytes = 1024

    /// `name` and, when given, `nameSuffix` after a space make the span's name (a server span's
    /// method and route); `parentID` is nil for a root span.
    init(into buffer: ByteBuffer, kind: Kind, traceID: TraceID, spanID: SpanID, parentID: SpanID?,
         name: String, nameSuffix: String? = nil, startUnixNanos: UInt64, endUnixNanos: UInt64) {
        self.buffer = buffer
        buffer.reserveWritable(Self.expectedBytes)
        cursor = buffer.writableBytes.baseAddress!
        end = cursor + buffer.writableCount
        write(#"{"traceId":""# as StaticString)
        hex(traceID.bytes)
        write(#"","spanId":""# as StaticString)
        hex(spanID.bytes)
        if let parentID {
            write(#"","parentSpanId":""# as StaticString)
            hex(parentID.bytes)
        }
        write(#"","name":""# as StaticString)
        escaped(name)
        if let nameSuffix {
            write(" " as StaticString)
            escaped(nameSuffix)
        }
        write(kind == .server ? #"","kind":2,"startTimeUnixNano":""# as StaticString : #"","kind":3,"startTimeUnixNano":""#)
        decimal(startUnixNanos)
        write(#"","endTimeUnixNano":""# as StaticString)
        decimal(endUnixNanos)
        write(#"","attributes":["# as StaticString)
    }

    /// `{"key":…,"value":{"stringValue":…}}`.
    mutating func attribute(_ key: StaticString, _ value: String) {
        beginAttribute(key, #"","value":{"stringValue":""#)
        escaped(value)
        write(#""}}"# as StaticString)
    }

    /// A string attribute written in two parts (a URL's origin and its path), never joined into a
    /// `String` first.
    mutating func attribute(_ key: StaticString, _ head: String, _ tail: UnsafeBufferPointer<UInt8>) {
        beginAttribute(key, #"","value":{"stringValue":""#)
        escaped(head)
        escaped(tail)
        write(#""}}"# as StaticString)
    }

    /// An address as text (`client.address`), written from the socket address without a `String`.
    mutating func attribute(_ key: StaticString, address: SocketAddress) {
        beginAttribute(key, #"","value":{"stringValue":""#)
        ensure(SocketAddress.maxHostTextCount)
        cursor += address.writeHostText(to: cursor)
        write(#""}}"# as StaticString)
    }

    /// `{"key":…,"value":{"intValue":"…"}}`: OTLP's int64 is a string in JSON.
    mutating func attribute(_ key: StaticString, _ value: Int) {
        beginAttribute(key, #"","value":{"intValue":""#)
        if value < 0 { write("-" as StaticString) }
        decimal(UInt64(value.magnitude))
        write(#""}}"# as StaticString)
    }

    /// Closes the span; `isError` sets OTLP's status code 2, otherwise the status is left unset,
    /// as instrumentation leaves it.
    consuming func finish(isError: Bool) {
        write(isError ? #"],"status":{"code":2}}"# as StaticString : "]}")
        buffer.didWrite(cursor - buffer.writableBytes.baseAddress!)
    }

    /// The key is written as it is: a constant name that needs no escaping (checked in debug builds).
    @inline(__always)
    private mutating func beginAttribute(_ key: StaticString, _ valueStart: StaticString) {
        assert(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount).allSatisfy { !JSONWriter.needsEscape($0) },
               "attribute keys are written unescaped")
        write(attributeCount == 0 ? #"{"key":""# as StaticString : #",{"key":""#)
        write(key)
        write(valueStart)
        attributeCount += 1
    }

    /// Makes room for `count` more bytes. Inlined, as the writes are, so that a fragment's copy
    /// is a few moves of a length known when compiled.
    @inline(__always)
    private mutating func ensure(_ count: Int) {
        if end - cursor < count { grow(count) }
    }

    /// What is written so far is committed to the buffer, which grows, and the cursor moves to its
    /// new free space.
    private mutating func grow(_ count: Int) {
        buffer.didWrite(cursor - buffer.writableBytes.baseAddress!)
        buffer.reserveWritable(count)
        cursor = buffer.writableBytes.baseAddress!
        end = cursor + buffer.writableCount
    }

    @inline(__always)
    private mutating func write(_ fragment: StaticString) {
        write(UnsafeRawBufferPointer(start: fragment.utf8Start, count: fragment.utf8CodeUnitCount))
    }

    @inline(__always)
    private mutating func write(_ bytes: UnsafeRawBufferPointer) {
        ensure(bytes.count)
        if let base = bytes.baseAddress { cursor.copyMemory(from: base, byteCount: bytes.count) }
        cursor += bytes.count
    }

    private mutating func escaped(_ text: String) {
        text.withContiguousUTF8 { escaped($0) }
    }

    /// The inside of a JSON string: copied as it is when nothing needs escaping, as nearly
    /// everything written here (methods, hosts, tenants, paths) doesn't.
    private mutating func escaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        if !JSONWriter.needsEscape(utf8) {
            write(UnsafeRawBufferPointer(utf8))
        } else {
            var escaped: [UInt8] = []
            JSONWriter.appendEscaped(utf8, to: &escaped)
            escaped.withUnsafeBytes { write($0) }
        }
    }

    private mutating func hex<Bytes>(_ id: Bytes) {
        let count = MemoryLayout<Bytes>.size * 2
        ensure(count)
        Hex.write(id, into: UnsafeMutableBufferPointer(start: cursor.bindMemory(to: UInt8.self, capacity: count), count: count), at: 0)
        cursor += count
    }

    /// Decimal digits counted, then written from the last: no `String` in between.
    private mutating func decimal(_ value: UInt64) {
        var digits = 1
        var rest = value / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        ensure(digits)
        rest = value
        for offset in stride(from: digits - 1, through: 0, by: -1) {
            cursor.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: offset, as: UInt8.self)
            rest /= 10
        }
        cursor += digits
    }
}
