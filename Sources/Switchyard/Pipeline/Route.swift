import SwitchyardHTTP
import SwitchyardIO

/// Where a request goes, decided from its method and path alone (API.md §2).
public enum Route: Equatable, Sendable {
    /// `POST /devices`: register or update one device.
    case upsertDevice
    /// `PATCH /devices/{id}`: update one device; `id` as the path names it.
    case updateDevice(id: PathDeviceID)
    /// `PATCH /devices`: bulk update.
    case bulkUpdate
    /// A known path with a method it doesn't take; `allow` lists the ones it does.
    case methodNotAllowed(allow: String)
    case notFound

    /// The route as logs, metrics and traces name it (`http.route`): a template, never the path, so
    /// that no client can add a label value.
    enum Template: String, Sendable, CaseIterable, CaseKeyed {
        case devices = "/devices"
        case device = "/devices/{id}"
        case other
    }

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

    /// From the path's bytes where they lie in the head (`HTTPRequestHead.withPath`): only a
    /// device id's value becomes a `String`.
    public init(method: HTTPMethod, path: UnsafeRawBufferPointer) {
        if path.bytesEqual("/devices") {
            switch method {
            case .post: self = .upsertDevice
            case .patch: self = .bulkUpdate
            default: self = .methodNotAllowed(allow: "POST, PATCH")
            }
            return
        }
        let prefix: StaticString = "/devices/"
        let prefixCount = prefix.utf8CodeUnitCount
        if path.count > prefixCount, UnsafeRawBufferPointer(rebasing: path[..<prefixCount]).bytesEqual(prefix) {
            let id = UnsafeRawBufferPointer(rebasing: path[prefixCount...])
            if !id.containsByte(UInt8(ascii: "/")) {
                self = method == .patch ? .updateDevice(id: PathDeviceID(id)) : .methodNotAllowed(allow: "PATCH")
                return
            }
        }
        self = .notFound
    }
}
