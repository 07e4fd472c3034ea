import SwitchyardHTTP
import SwitchyardIO

/// Where a request goes, decided from its method and path alone (API.md §2).
public enum Route: Equatable, Sendable {
    /// `POST /devices`: register or update one device.
    case upsertDevice
    /// `PATCH /devices/{id}`: update one device; `id` as it appeared in the path (still
    /// percent-encoded; decoding and typing it is the device layer's job).
    case updateDevice(id: String)
    /// `PATCH /devices`: bulk update.
    case bulkUpdate
    /// A known path with a method it doesn't take; `allow` lists the ones it does.
    case methodNotAllowed(allow: String)
    case notFound

    /// The scope a token needs for the operation; nil where nothing is done.
    var scope: Scope? {
        switch self {
        case .upsertDevice, .updateDevice: .devicesWrite
        case .bulkUpdate: .devicesBulk
        case .methodNotAllowed, .notFound: nil
        }
    }

    /// One device's change: one vendor call's worth of the vendor quota.
    var isSingleDevice: Bool {
        switch self {
        case .upsertDevice, .updateDevice: true
        case .bulkUpdate, .methodNotAllowed, .notFound: false
        }
    }

    public init(method: HTTPMethod, path: String) {
        if path == "/devices" {
            switch method {
            case .post: self = .upsertDevice
            case .patch: self = .bulkUpdate
            default: self = .methodNotAllowed(allow: "POST, PATCH")
            }
            return
        }
        let prefix = "/devices/"
        if path.hasPrefix(prefix) {
            let id = String(path.dropFirst(prefix.count))
            if !id.isEmpty && !id.containsUTF8(UInt8(ascii: "/")) {
                self = method == .patch ? .updateDevice(id: id) : .methodNotAllowed(allow: "PATCH")
                return
            }
        }
        self = .notFound
    }
}
