import SwitchyardDevices
import SwitchyardJSON

/// A migrating tenant's request as its stage serves it (API.md §8): the request read for each
/// vendor, item for item, and which vendor serves each item. The other vendor is written to
/// afterwards (`MirrorQueue`).
///
/// A class, though nothing in it changes: it is a few hundred bytes (three readings of the request,
/// each a result with its problem), and every request's `Translation` holds one, nil for a tenant
/// that isn't migrating. As a struct it made the translation that size, copied byte for byte at
/// each of the moves from the translate phase into the vendor call's completion and out again
/// (memcpy; 1,539 instructions a control-center request); held by reference, the translation is four words
/// and only a migrating tenant's request allocates the split.
final class MigrationSplit: Sendable {
    let migration: Migration
    /// The stage the request is served at: a rollback while it runs changes nothing for it.
    let stage: MigrationConfiguration.Stage
    /// The request read for the current vendor, and for the target when it serves some device:
    /// in `mirror` the target's reading waits until the client has its answer (`MirrorQueue`).
    let currentRequest: Result<DeviceRequest, Problem>
    let targetRequest: Result<DeviceRequest, Problem>?
    /// The request as served: each item as read for the vendor that serves it (for a single
    /// device, that vendor's whole reading, its refusal included).
    let served: Result<DeviceRequest, Problem>
    /// Per item of `served`: whether the target serves it.
    let servedByTarget: [Bool]

    init(migration: Migration, stage: MigrationConfiguration.Stage, currentRequest: Result<DeviceRequest, Problem>,
         targetRequest: Result<DeviceRequest, Problem>?, served: Result<DeviceRequest, Problem>, servedByTarget: [Bool]) {
        self.migration = migration
        self.stage = stage
        self.currentRequest = currentRequest
        self.targetRequest = targetRequest
        self.served = served
        self.servedByTarget = servedByTarget
    }

    /// Whether any item is served by the target (else the request goes as without a migration).
    var involvesTarget: Bool { servedByTarget.contains(true) }
}

extension Migration {
    /// Reads the request for the vendors that serve it and decides, per device, which one does. A
    /// device id without its kind means the current vendor's primary kind for both.
    func split(_ route: Route, body: JSONValue, maxBulkDevices: Int, now: Double) -> MigrationSplit {
        let stage = self.stage
        let currentRead = read(route, body: body, for: current, maxBulkDevices: maxBulkDevices, now: now)
        guard stage != .mirror else {
            return MigrationSplit(migration: self, stage: stage, currentRequest: currentRead, targetRequest: nil, served: currentRead,
                                  servedByTarget: Array(repeating: false, count: (try? currentRead.get())?.items.count ?? 0))
        }
        let targetRead = read(route, body: body, for: target, maxBulkDevices: maxBulkDevices, now: now)
        let served: Result<DeviceRequest, Problem>
        let servedByTarget: [Bool]
        if route != .bulkUpdate {
            let key = Self.deviceKey(currentRead) ?? Self.deviceKey(targetRead)
            let byTarget = servesFromTarget(deviceKey: key, stage: stage)
            served = byTarget ? targetRead : currentRead
            servedByTarget = [byTarget]
        } else if case .success(let currentItems) = currentRead {
            // The envelope is the same for both vendors; the items are each vendor's reading.
            let targetItems = (try? targetRead.get())?.items
            let targetRefusal = targetRead.failureValue
            servedByTarget = currentItems.items.indices.map { index in
                servesFromTarget(deviceKey: Self.deviceKey(currentItems.items[index]) ?? targetItems.flatMap { Self.deviceKey($0[index]) },
                                 stage: stage)
            }
            served = .success(DeviceRequest(isBulk: true, items: currentItems.items.indices.map { index in
                guard servedByTarget[index] else { return currentItems.items[index] }
                if let targetItems, targetItems.count == currentItems.items.count { return targetItems[index] }
                return DeviceRequest.Item(id: currentItems.items[index].id,
                                          change: .failure(targetRefusal ?? Problem(.internalError, detail: "The target read the bulk update otherwise.")))
            }))
        } else {
            served = currentRead
            servedByTarget = []
        }
        return MigrationSplit(migration: self, stage: stage, currentRequest: currentRead, targetRequest: targetRead, served: served,
                              servedByTarget: servedByTarget)
    }

    /// The request as `binding`'s vendor reads it, bare device ids of the current vendor's kind.
    func read(_ route: Route, body: JSONValue, for binding: VendorBinding, maxBulkDevices: Int, now: Double) -> Result<DeviceRequest, Problem> {
        DeviceRequest.read(route, body: body, adapter: binding.route.adapter, bareIDKind: current.route.primaryKind,
                           maxBulkDevices: maxBulkDevices, now: now)
    }

    /// Whether the request names a device by a bare value (`8988…`), which means the current
    /// vendor's primary kind: once the target is the tenant's vendor, the same request names
    /// another kind, or none (API.md §2). Only when the two vendors' primary kinds differ.
    func namesDevicesWithoutKind(_ route: Route, body: JSONValue) -> Bool {
        guard current.route.primaryKind != target.route.primaryKind else { return false }
        switch route {
        case .updateDevice(let id):
            return id.text != nil && id.kind == nil
        case .bulkUpdate:
            let ids = body.objectValue?["devices"]?.arrayValue?.compactMap { $0.objectValue?["id"]?.stringValue } ?? []
            return ids.contains { DeviceIdentifier.namedKind($0) == nil }
        case .upsertDevice, .methodNotAllowed, .notFound:
            return false
        }
    }

    /// What names a device for the canary's hash: its canonical id, or for a new device the first
    /// identifier its document holds (`IdentifierKind`'s order), so that it goes the same way
    /// before and after it has an id.
    static func deviceKey(_ item: DeviceRequest.Item) -> String? {
        if let id = item.id { return id.text }
        guard case .success(let change) = item.change else { return nil }
        for kind in IdentifierKind.allCases {
            if let value = change.document.string(kind.field) { return DeviceIdentifier(kind: kind, value: value).description }
        }
        return nil
    }

    private static func deviceKey(_ read: Result<DeviceRequest, Problem>) -> String? {
        (try? read.get())?.items.first.flatMap(deviceKey)
    }
}

extension Result {
    /// The error, when this is one.
    var failureValue: Failure? {
        if case .failure(let error) = self { error } else { nil }
    }
}
