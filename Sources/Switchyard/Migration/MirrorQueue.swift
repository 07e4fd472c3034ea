import SwitchyardDevices
import SwitchyardIO

/// One loop's mirrored changes (API.md §8, `mirror`): once a migrating tenant's client has its
/// answer, the changes the current vendor accepted go to the target as well, through the target
/// binding's own quota, cap and circuit (never the tenant's rate limit), and both answers are
/// compared into the migration's report.
///
/// Off the client's path and bounded: at most `maxInFlight` requests' changes are with targets at
/// once and `maxWaiting` more wait here; a request that finds the queue full is dropped, each of its
/// changes counted as `dropped`. A mirrored change ends within its own call's deadlines (the
/// vendor quota's wait, `limits.upstreamTimeoutSeconds`, a bulk update's `bulkTimeoutSeconds`
/// from its arrival). Lives on its loop.
final class MirrorQueue {
    /// A request's changes on their way to the target.
    struct Job {
        let request: GatewayRequest
        let migration: Migration
        /// The request as read for the current vendor.
        let currentRequest: DeviceRequest
        /// The same body read for the target's vendor; items not to send are refused already.
        let targetRequest: DeviceRequest
        /// What the current vendor made of each item, in order.
        let currentResults: [DeviceResult]
    }

    static let maxInFlight = 64
    static let maxWaiting = 1024

    private unowned(unsafe) let loop: EventLoop
    private let metrics: LoopMetrics
    private var waiting: [Job] = []
    private var next = 0
    private var inFlight = 0

    init(loop: EventLoop, metrics: LoopMetrics) {
        self.loop = loop
        self.metrics = metrics
    }

    /// Mirrors `request`'s changes to the target of `migration`, once its client has the answer
    /// (`currentResults`, one per item of `deviceRequest`).
    func mirror(_ request: GatewayRequest, _ deviceRequest: DeviceRequest, currentResults: [DeviceResult], migration: Migration) {
        let report = migration.report
        let accepted = currentResults.indices.filter { if case .accepted = currentResults[$0] { true } else { false } }
        guard !accepted.isEmpty, let body = request.body else { return }
        let operation = request.operationName
        report.recordLatency(current: request.upstreamNanos, target: nil)
        switch DeviceRequest.read(request.route, body: body, adapter: migration.target.adapter,
                                  bareIDKind: migration.current.adapter.primaryKind,
                                  maxBulkDevices: request.state.limits.maxBulkDevices, now: request.now) {
        case .failure(let problem):
            // The target can't read the request at all (it can't register devices, say): every
            // accepted change is compared against that refusal, without a call.
            for index in accepted {
                record(.failure(problem), against: currentResults[index], of: deviceRequest.items[index], migration: migration,
                       operation: operation, requestID: request.requestID)
            }
        case .success(var targetRequest):
            guard targetRequest.items.count == currentResults.count else { return }
            for index in targetRequest.items.indices where !accepted.contains(index) {
                targetRequest.items[index].change = .failure(Self.notMirrored)
            }
            guard waiting.count - next < Self.maxWaiting else {
                for _ in accepted { dropped(migration) }
                return
            }
            waiting.append(Job(request: request, migration: migration, currentRequest: deviceRequest, targetRequest: targetRequest,
                               currentResults: currentResults))
            startWaiting()
        }
    }

    private func startWaiting() {
        while inFlight < Self.maxInFlight, next < waiting.count {
            let job = waiting[next]
            next += 1
            if next == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                next = 0
            }
            start(job)
        }
    }

    private func start(_ job: Job) {
        inFlight += 1
        let started = loop.now
        // The current vendor's decision on a prepaid quota is the current binding's, never the target's.
        job.request.prepaidQuota = nil
        DeviceCall(request: job.request, route: job.migration.target, deviceRequest: job.targetRequest).start { [self] outcome in
            inFlight -= 1
            job.migration.report.recordLatency(current: nil, target: loop.now &- started)
            for index in outcome.results.indices {
                let target: Result<DeviceDocument, Problem> = switch (outcome.results[index], job.targetRequest.items[index].change) {
                case (.accepted(_, let confirmed), .success(let change)): .success(DeviceAnswer.answered(change, confirmed: confirmed))
                case (.failed(let problem), _): .failure(problem)
                case (.accepted, .failure(let problem)): .failure(problem)
                }
                record(target, against: job.currentResults[index], of: job.currentRequest.items[index], migration: job.migration,
                       operation: job.request.operationName, requestID: job.request.requestID)
            }
            startWaiting()
        }
    }

    /// Compares the target's answer to one change with the current vendor's, when the current
    /// vendor accepted it (one it refused was never a change: neither compared nor counted).
    private func record(_ target: Result<DeviceDocument, Problem>, against current: DeviceResult, of item: DeviceRequest.Item,
                        migration: Migration, operation: String, requestID: String) {
        guard case .accepted(_, let confirmed) = current, case .success(let change) = item.change else { return }
        let comparison = ChangeComparison.compare(current: DeviceAnswer.answered(change, confirmed: confirmed), target: target,
                                                  ignoring: migration.ignoring)
        migration.report.record(comparison, operation: operation, requestID: requestID)
        metrics.record(.migrationComparison(tenant: migration.report.tenant, result: comparison.label))
    }

    private func dropped(_ migration: Migration) {
        migration.report.recordDropped()
        metrics.record(.migrationComparison(tenant: migration.report.tenant, result: "dropped"))
    }

    /// Stands in for the changes the current vendor refused: never sent, never compared.
    private static let notMirrored = Problem(.invalidRequest, detail: "Not mirrored: the current vendor refused this change.")
}
