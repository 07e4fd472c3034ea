import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
#if canImport(Glibc)
import Glibc
#endif

/// Where the access log goes (`accessLog` in the configuration).
public enum AccessLogDestination: String, Sendable, Equatable, CaseIterable {
    /// One JSON line per `/devices` request on standard output.
    case stdout
    case off
}

/// One loop's access log (API.md §6): a JSON line per request on the TLS listener, buffered and
/// written to standard output in one `write` when 16 KiB have gathered or 200 ms after the first
/// line, so logging costs no syscall per request (and nothing when idle: the timer runs only while
/// lines wait).
///
/// A line holds what an operator needs to find a request and see what became of it, and never a
/// credential, a body or a query string: no header is logged but a bounded `User-Agent`, the
/// route is its template (`/devices/{id}`), the device is its typed id with an MSISDN or IMSI
/// masked to its last 4 digits (they identify a subscriber).
final class AccessLog {
    private let loop: EventLoop
    private var buffer: [UInt8] = []
    private var flushScheduled = false
    private var clock = RFC3339.MillisecondClock()
    private static let flushBytes = 16 * 1024
    /// A `User-Agent` longer than this is cut: the line stays bounded whatever a client sends.
    static let maxUserAgentBytes = 256

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// The request's line, with the answer's `status` and body size as sent.
    func record(_ request: GatewayRequest, status: Int, bytesOut: Int) {
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.member("time", clock.now())
        request.requestID.withUTF8 { json.member("requestId", utf8: $0) }
        json.member("traceId", request.trace.traceIDText)
        if let client = request.client { json.member("clientAddress", client.host) }
        json.member("method", request.head.methodName)
        json.member("route", request.routeTemplate.rawValue)
        if let device = request.device { json.member("device", Self.masked(device.text)) }
        json.member("status", status)
        if let problem = request.problem { json.member("problem", problem.rawValue) }
        if let tenant = request.tenant { json.member("tenant", tenant) }
        if let vendor = request.vendor { json.member("vendor", vendor.rawValue) }
        if let upstreamStatus = request.upstreamStatus { json.member("upstreamStatus", upstreamStatus) }
        if let upstreamNanos = request.upstreamNanos { json.member("upstreamMillis", Self.millis(upstreamNanos)) }
        json.member("durationMillis", Self.millis(MonotonicClock.now() &- request.arrived))
        json.member("bytesIn", request.bytesIn)
        json.member("bytesOut", bytesOut)
        if let agent = request.head.firstValue(.userAgent) {
            json.member("userAgent", String(decoding: agent.utf8.prefix(Self.maxUserAgentBytes), as: UTF8.self))
        }
        json.endObject()
        buffer += json.bytes
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= Self.flushBytes {
            flush()
        } else if !flushScheduled {
            flushScheduled = true
            _ = loop.schedule(afterSeconds: 0.2) { [self] in
                flushScheduled = false
                flush()
            }
        }
    }

    /// Nanoseconds as milliseconds with microsecond precision, for a log line (`1.234`).
    static func millis(_ nanoseconds: UInt64) -> Double {
        Double(nanoseconds / 1_000) / 1_000
    }

    /// A typed id as it may be logged: an MSISDN's or IMSI's value masked but for its last 4
    /// characters (`msisdn:*******4567`); every other kind as it is.
    static func masked(_ id: String) -> String {
        guard let colon = id.firstIndex(of: ":"), ["msisdn", "imsi"].contains(id[..<colon]) else { return id }
        let value = id[id.index(after: colon)...]
        return id[...colon] + String(repeating: "*", count: max(0, value.count - 4)) + value.suffix(4)
    }

    /// Writes what is buffered; on an error the rest is dropped rather than retried, since a log
    /// must not hold up the loop that serves clients.
    func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { break }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
