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

/// One loop's access log: a JSON line per request, buffered and written to standard output in
/// one `write` when 16 KiB have gathered or 200 ms after the first line, so logging costs no
/// syscall per request (and nothing when idle: the timer runs only while lines wait).
///
/// A line holds what an operator needs to find a request (`requestId`, as sent upstream), and
/// never a credential: no header is logged, nor the query, nor a body; the path is the one the
/// request was routed on (a `/devices` path names at most a device id; a refused one, whatever the
/// client asked for, as decoded by `HTTPRequestHead.path`).
final class AccessLog {
    private unowned(unsafe) let loop: EventLoop
    private var buffer: [UInt8] = []
    private var flushScheduled = false
    /// The current second's timestamp, formatted once per second rather than once per line.
    private var second = 0
    private var timestamp = ""
    private static let flushBytes = 16 * 1024

    init(loop: EventLoop) {
        self.loop = loop
    }

    /// `started`: the loop's clock when the request reached the gateway.
    func record(_ head: HTTPRequestHead, requestID: String, status: Int, tenant: String?, started: UInt64) {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        let now = time(nil)
        if now != second {
            second = now
            timestamp = RFC3339.utcString(secondsSince1970: Double(now))
        }
        json.member("time", timestamp)
        json.member("requestId", requestID)
        json.member("method", head.methodName)
        json.member("path", head.path)
        json.member("status", status)
        if let tenant { json.member("tenant", tenant) }
        json.member("durationMicros", Int((MonotonicClock.now() &- started) / 1000))
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
