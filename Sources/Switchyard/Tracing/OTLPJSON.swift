import SwitchyardJSON
import W3CTraceContext

/// Spans as an OTLP/HTTP JSON request body (`ExportTraceServiceRequest`, opentelemetry-proto's
/// JSON mapping): ids as lowercase hex (not base64, unlike proto3's default JSON), enums as
/// numbers, 64-bit integers (times, `intValue`) as decimal strings. Written off the loops, by the
/// exporter.
///
/// The shape is fixed, so it is written by hand: the member names and the punctuation around them
/// are constant byte fragments, and only the values (escaped strings, hex ids, decimal numbers)
/// are written per span. Through `JSONWriter`'s general calls a span cost about 25,000
/// instructions (callgrind), most of it scanning and quoting the same names again; this way a
/// few thousand, which is what lets tracing at `sampleRatio: 1` stay within a few microseconds a
/// request (Benchmarks/RESULTS.md).
enum OTLPJSON {
    /// One resource (the gateway, named `serviceName`) with one scope holding `spans`.
    static func body(_ spans: some Collection<RecordedSpan>, serviceName: String) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + spans.count * 700)
        append(#"{"resourceSpans":[{"resource":{"attributes":["#, to: &bytes)
        attribute("service.name", .string(serviceName), first: true, to: &bytes)
        attribute("service.version", .string(SwitchyardVersion.number), first: false, to: &bytes)
        append(#"]},"scopeSpans":[{"scope":{"name":"switchyard","version":"#, to: &bytes)
        JSONWriter.appendQuoted(SwitchyardVersion.number, to: &bytes)
        append(#"},"spans":["#, to: &bytes)
        var first = true
        for span in spans {
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            write(span, to: &bytes)
        }
        append("]}]}]}", to: &bytes)
        return bytes
    }

    private static func write(_ span: RecordedSpan, to bytes: inout [UInt8]) {
        append(#"{"traceId":""#, to: &bytes)
        hex(span.traceID.bytes, to: &bytes)
        append(#"","spanId":""#, to: &bytes)
        hex(span.spanID.bytes, to: &bytes)
        if let parent = span.parentID {
            append(#"","parentSpanId":""#, to: &bytes)
            hex(parent.bytes, to: &bytes)
        }
        append(#"","name":"#, to: &bytes)
        JSONWriter.appendQuoted(span.name, to: &bytes)
        append(span.kind == .server ? #","kind":2,"startTimeUnixNano":""# : #","kind":3,"startTimeUnixNano":""#, to: &bytes)
        decimal(span.startUnixNanos, to: &bytes)
        append(#"","endTimeUnixNano":""#, to: &bytes)
        decimal(span.endUnixNanos, to: &bytes)
        append(#"","attributes":["#, to: &bytes)
        for (index, (key, value)) in span.attributes.enumerated() {
            attribute(key, value, first: index == 0, to: &bytes)
        }
        append(span.isError ? #"],"status":{"code":2}}"# : "]}", to: &bytes)
    }

    /// `{"key":…,"value":{"stringValue":…}}` or `{"intValue":"…"}` (int64 as a string). The key is
    /// written as it is: a constant name that needs no escaping (checked in debug builds).
    private static func attribute(_ key: StaticString, _ value: RecordedSpan.Value, first: Bool, to bytes: inout [UInt8]) {
        assert(UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount).allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5c },
               "attribute keys are written unescaped")
        append(first ? #"{"key":""# : #",{"key":""#, to: &bytes)
        append(key, to: &bytes)
        switch value {
        case .string(let text):
            append(#"","value":{"stringValue":"#, to: &bytes)
            JSONWriter.appendQuoted(text, to: &bytes)
            append("}}", to: &bytes)
        case .int(let number):
            append(#"","value":{"intValue":""#, to: &bytes)
            decimal(UInt64(number.magnitude), negative: number < 0, to: &bytes)
            append(#""}}"#, to: &bytes)
        }
    }

    private static func append(_ fragment: StaticString, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: fragment.utf8Start, count: fragment.utf8CodeUnitCount))
    }

    /// The digits are written on the stack, then copied: one append, like `decimal`.
    private static func hex<Bytes>(_ id: Bytes, to bytes: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: MemoryLayout<Bytes>.size * 2) { buffer in
            Hex.write(id, into: buffer, at: 0)
            bytes.append(contentsOf: UnsafeBufferPointer(buffer))
        }
    }

    /// Decimal digits without a `String` in between: written backwards into a buffer on the
    /// stack, then copied.
    private static func decimal(_ value: UInt64, negative: Bool = false, to bytes: inout [UInt8]) {
        if negative { bytes.append(UInt8(ascii: "-")) }
        var remaining = value
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index...]))
        }
    }
}
