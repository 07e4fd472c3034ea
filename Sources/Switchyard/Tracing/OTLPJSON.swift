import SwitchyardJSON
import W3CTraceContext

/// Spans as an OTLP/HTTP JSON request body (`ExportTraceServiceRequest`, opentelemetry-proto's
/// JSON mapping): ids as lowercase hex (not base64, unlike proto3's default JSON), enums as
/// numbers, 64-bit integers (times, `intValue`) as decimal strings. Written off the loops, by the
/// exporter.
enum OTLPJSON {
    /// One resource (the gateway, named `serviceName`) with one scope holding `spans`.
    static func body(_ spans: some Collection<RecordedSpan>, serviceName: String) -> [UInt8] {
        var json = JSONWriter(capacity: 512 + spans.count * 640)
        json.beginObject()
        json.key("resourceSpans")
        json.beginArray()
        json.beginObject()
        json.key("resource")
        json.beginObject()
        attributes([("service.name", .string(serviceName)), ("service.version", .string(SwitchyardVersion.number))], to: &json)
        json.endObject()
        json.key("scopeSpans")
        json.beginArray()
        json.beginObject()
        json.key("scope")
        json.beginObject()
        json.member("name", "switchyard")
        json.member("version", SwitchyardVersion.number)
        json.endObject()
        json.key("spans")
        json.beginArray()
        for span in spans { write(span, to: &json) }
        json.endArray()
        json.endObject()
        json.endArray()
        json.endObject()
        json.endArray()
        json.endObject()
        return json.bytes
    }

    private static func write(_ span: RecordedSpan, to json: inout JSONWriter) {
        json.beginObject()
        json.member("traceId", Hex.string(span.traceID.bytes))
        json.member("spanId", Hex.string(span.spanID.bytes))
        if let parent = span.parentID { json.member("parentSpanId", Hex.string(parent.bytes)) }
        json.member("name", span.name)
        json.member("kind", span.kind.rawValue)
        json.member("startTimeUnixNano", String(span.startUnixNanos))
        json.member("endTimeUnixNano", String(span.endUnixNanos))
        attributes(span.attributes, to: &json)
        if span.isError {
            json.key("status")
            json.beginObject()
            json.member("code", 2)
            json.endObject()
        }
        json.endObject()
    }

    private static func attributes(_ attributes: [(key: String, value: RecordedSpan.Value)], to json: inout JSONWriter) {
        json.key("attributes")
        json.beginArray()
        for (key, value) in attributes {
            json.beginObject()
            json.member("key", key)
            json.key("value")
            json.beginObject()
            switch value {
            case .string(let text): json.member("stringValue", text)
            case .int(let number): json.member("intValue", String(number))
            }
            json.endObject()
            json.endObject()
        }
        json.endArray()
    }
}
