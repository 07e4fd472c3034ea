import SwitchyardDevices
import SwitchyardJSON
import Synchronization

/// One tenant's migration as it went so far (API.md §8): every mirrored change's comparison, the
/// changes dropped, each vendor's latency. Shared by the loops: a mirrored change is recorded once
/// it is over, off the client's path, so a lock here costs no client anything. Kept by a reload
/// that keeps the same target (`GatewayState`); per replica.
///
/// Bounded whatever the traffic: mismatches are keyed by the device document's fields (a fixed
/// set), with the last `lastRequestIDCount` request ids each; not-portable changes by operation
/// and field, at most `maxNotPortableKeys` of them (more are counted under the operation alone);
/// target errors by problem code; latencies in fixed histograms.
final class MigrationReport: Sendable {
    let tenant: String
    let currentVendor: Vendor
    let targetVendor: Vendor

    struct Mismatch: Sendable {
        var count = 0
        var lastRequestIDs: [String] = []
    }

    /// A change the target can't take: the operation as clients send it (`PATCH /devices/{id}`)
    /// and the field, nil when the operation itself is not supported.
    struct NotPortable: Hashable, Sendable {
        var operation: String
        var field: String?
    }

    struct Counts: Sendable {
        var mirrored = 0
        var matched = 0
        var mismatched = 0
        var notPortable = 0
        var targetErrors = 0
        var dropped = 0
        var mismatches: [String: Mismatch] = [:]
        var notPortableChanges: [NotPortable: Int] = [:]
        var targetErrorCodes: [ProblemCode: Int] = [:]
        var currentLatency = LatencyHistogram()
        var targetLatency = LatencyHistogram()
        /// Changes the target served that the previous vendor, written after it, refused or failed:
        /// what a step back would lose (`canary`, `cutover`).
        var previousVendorErrors = 0
        var previousVendorErrorCodes: [ProblemCode: Int] = [:]
        var rollbacks = 0
        var lastRollback: String?
        /// Requests naming devices by a bare value, by operation (`MigrationSplit.namesDevicesWithoutKind`).
        var bareDeviceIDs: [String: Int] = [:]
    }

    static let lastRequestIDCount = 5
    static let maxNotPortableKeys = 256

    private let counts = Mutex(Counts())

    init(tenant: String, currentVendor: Vendor, targetVendor: Vendor) {
        self.tenant = tenant
        self.currentVendor = currentVendor
        self.targetVendor = targetVendor
    }

    var snapshot: Counts { counts.withLock { $0 } }

    /// One change sent to both vendors, compared.
    func record(_ comparison: ChangeComparison, operation: String, requestID: String) {
        counts.withLock { counts in
            counts.mirrored += 1
            switch comparison {
            case .match:
                counts.matched += 1
            case .mismatch(let pointers):
                counts.mismatched += 1
                for pointer in pointers {
                    var mismatch = counts.mismatches[pointer] ?? Mismatch()
                    mismatch.count += 1
                    mismatch.lastRequestIDs.append(requestID)
                    if mismatch.lastRequestIDs.count > Self.lastRequestIDCount { mismatch.lastRequestIDs.removeFirst() }
                    counts.mismatches[pointer] = mismatch
                }
            case .notPortable(let fields):
                counts.notPortable += 1
                for field in fields.isEmpty ? [nil] : fields.map(Optional.some) {
                    var key = NotPortable(operation: operation, field: field)
                    if counts.notPortableChanges[key] == nil, counts.notPortableChanges.count >= Self.maxNotPortableKeys {
                        key.field = nil
                    }
                    counts.notPortableChanges[key, default: 0] += 1
                }
            case .targetError(let code):
                counts.targetErrors += 1
                counts.targetErrorCodes[code, default: 0] += 1
            }
        }
    }

    /// A change the target served that the previous vendor, written after it, did not take.
    func recordPreviousVendorError(_ code: ProblemCode) {
        counts.withLock { counts in
            counts.previousVendorErrors += 1
            counts.previousVendorErrorCodes[code, default: 0] += 1
        }
    }

    /// A request that named a device by a bare value, which the target would read otherwise. Keyed
    /// by operation: a handful of route templates.
    func recordBareDeviceID(operation: String) {
        counts.withLock { $0.bareDeviceIDs[operation, default: 0] += 1 }
    }

    /// A canary that went back to `mirror` by itself, and why.
    func recordRollback(reason: String) {
        counts.withLock { counts in
            counts.rollbacks += 1
            counts.lastRollback = reason
        }
    }

    /// A change that found the mirror queue full: never sent to the other vendor.
    func recordDropped() {
        counts.withLock { $0.dropped += 1 }
    }

    /// How long each vendor took for one request's changes.
    func recordLatency(current: UInt64?, target: UInt64?) {
        counts.withLock { counts in
            if let current { counts.currentLatency.record(nanoseconds: current) }
            if let target { counts.targetLatency.record(nanoseconds: target) }
        }
    }

    /// The report's JSON object (API.md §8), for `GET /-/migrations`.
    /// `stage` is the one in effect, `configuredStage` the configuration's (they differ after a rollback).
    func write(to json: inout JSONWriter, stage: MigrationConfiguration.Stage, configuredStage: MigrationConfiguration.Stage) {
        let counts = snapshot
        json.beginObject()
        json.member("tenant", tenant)
        json.member("stage", stage.rawValue)
        json.member("configuredStage", configuredStage.rawValue)
        json.member("currentVendor", currentVendor.rawValue)
        json.member("targetVendor", targetVendor.rawValue)
        json.member("mirrored", counts.mirrored)
        json.member("matched", counts.matched)
        json.member("mismatched", counts.mismatched)
        json.member("notPortable", counts.notPortable)
        json.member("targetErrors", counts.targetErrors)
        json.member("dropped", counts.dropped)
        json.member("previousVendorErrors", counts.previousVendorErrors)
        json.member("rollbacks", counts.rollbacks)
        if let reason = counts.lastRollback { json.member("lastRollback", reason) }
        json.key("mismatches")
        json.beginArray()
        for (pointer, mismatch) in counts.mismatches.sorted(by: { ($0.value.count, $1.key) > ($1.value.count, $0.key) }) {
            json.beginObject()
            json.member("pointer", pointer)
            json.member("count", mismatch.count)
            json.member("lastRequestIds", mismatch.lastRequestIDs)
            json.endObject()
        }
        json.endArray()
        json.key("notPortableChanges")
        json.beginArray()
        for (change, count) in counts.notPortableChanges.sorted(by: { ($0.value, $1.key.operation) > ($1.value, $0.key.operation) }) {
            json.beginObject()
            json.member("operation", change.operation)
            if let field = change.field { json.member("field", field) }
            json.member("count", count)
            json.endObject()
        }
        json.endArray()
        for (name, codes) in [("targetErrorCodes", counts.targetErrorCodes), ("previousVendorErrorCodes", counts.previousVendorErrorCodes)] {
            json.key(name)
            json.beginObject()
            for (code, count) in codes.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { json.member(code.rawValue, count) }
            json.endObject()
        }
        json.key("bareDeviceIds")
        json.beginArray()
        for (operation, count) in counts.bareDeviceIDs.sorted(by: { $0.key < $1.key }) {
            json.beginObject()
            json.member("operation", operation)
            json.member("count", count)
            json.endObject()
        }
        json.endArray()
        json.key("latency")
        json.beginObject()
        for (name, histogram) in [("current", counts.currentLatency), ("target", counts.targetLatency)] {
            json.key(name)
            json.beginObject()
            json.member("calls", histogram.total)
            if let p50 = histogram.quantileMilliseconds(0.5), let p99 = histogram.quantileMilliseconds(0.99) {
                json.member("p50Millis", p50)
                json.member("p99Millis", p99)
            }
            json.endObject()
        }
        json.endObject()
        json.endObject()
    }
}
