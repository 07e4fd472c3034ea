import Logging
import SwitchyardDevices
import SwitchyardJSON
#if canImport(Glibc)
import Glibc
#endif

/// How the gateway's own messages are written to standard error (`logFormat`).
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    /// swift-log's default stream handler: a line a person reads.
    case text
    /// One JSON object per line, for a log pipeline (`JSONLogHandler`).
    case json

    /// Makes every `Logger` of the process write in this format: call it once, before the first
    /// `Logger` is made (swift-log's `LoggingSystem.bootstrap` rule).
    public func bootstrap() {
        switch self {
        case .text: LoggingSystem.bootstrap(StreamLogHandler.standardError)
        case .json: LoggingSystem.bootstrap(JSONLogHandler.init)
        }
    }
}

/// A swift-log handler that writes each message as one JSON line on standard error:
/// `{"time", "level", "logger", "message", …metadata}`, the time in RFC 3339 UTC with
/// milliseconds, metadata values as strings. A line is written with one `write`, so lines from
/// several threads never interleave.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var json = JSONWriter(capacity: 256)
        json.beginObject()
        json.member("time", RFC3339.utcNowWithMilliseconds())
        json.member("level", event.level.rawValue)
        json.member("logger", label)
        json.member("message", event.message.description)
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) where !["time", "level", "logger", "message"].contains(key) {
            json.member(key, value.description)
        }
        json.endObject()
        var line = json.bytes
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 { offset += written } else if written < 0 && errno == EINTR { continue } else { break }
            }
        }
    }
}
