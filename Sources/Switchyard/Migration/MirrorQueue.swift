import SwitchyardDevices
import SwitchyardIO

/// One loop's mirrored changes (API.md §8): once a migrating tenant's client has its answer, each
/// change the serving vendor accepted goes to the other vendor as well (the target for a device the
/// current vendor served, the current vendor for one the target served), through that binding's
/// own quota, cap and circuit (never the tenant's rate limit), and both answers are compared into
/// the migration's report.
///
/// Off the client's path and bounded: at most `maxInFlight` calls' worth of changes are out at once
/// and `maxWaiting` more wait here; one that finds the queue full is dropped, each of its changes
/// counted as `dropped`. A mirrored call ends within its own deadlines (the vendor quota's wait,
/// `limits.upstreamTimeoutSeconds`, a bulk update's `bulkTimeoutSeconds` from its arrival). Lives
/// on its loop.
final class MirrorQueue {
    /// Changes of one request on their way to one vendor.
    struct Job {
        let request: GatewayRequest
        let migration: Migration
        /// Where they go: the target, or the current vendor for changes the target served.
        let toTarget: Bool
        /// The request as read for that vendor; only the items to send are ready.
        let otherRequest: DeviceRequest
        /// The request as served, and what its vendor made of each item.
        let servedRequest: DeviceRequest
        let servedResults: [DeviceResult]
    }

    static let maxInFlight = 64
    static let maxWaiting = 1024

    private let loop: EventLoop
    private let metrics: LoopMetrics
    private var waiting: [Job] = []
    private var next = 0
    private var inFlight = 0

    init(loop: EventLoop, metrics: LoopMetrics) {
        self.loop = loop
        self.metrics = metrics
    }

    /// Writes the changes of `request` its vendors accepted (`results`, one per item of
    /// `split.served`) to the other vendor of each.
    func mirror(_ request: GatewayRequest, _ split: MigrationSplit, results: [DeviceResult]) {
        guard case .success(let served) = split.served, served.items.count == results.count, let body = request.body else { return }
        let migration = split.migration
        if migration.namesDevicesWithoutKind(request.route, body: body) {
            migration.report.recordBareDeviceID(operation: request.operationName)
        }
        if split.stage == .canary {
            for (index, result) in results.enumerated() {
                migration.recordOutcome(atTarget: split.servedByTarget[index], failed: Migration.isVendorFailure(result))
            }
        }
        var toTarget: [Int] = []
        var toCurrent: [Int] = []
        for (index, result) in results.enumerated() {
            guard case .accepted = result else { continue }
            if split.servedByTarget[index] { toCurrent.append(index) } else { toTarget.append(index) }
        }
        if toTarget.isEmpty && toCurrent.isEmpty { return }
        migration.report.recordLatency(current: toTarget.isEmpty ? nil : request.upstreamNanos,
                                       target: toCurrent.isEmpty ? nil : request.upstreamNanos)
        for (indices, toTarget) in [(toTarget, true), (toCurrent, false)] where !indices.isEmpty {
            // In `mirror` the target reads the request only now, after the client's answer.
            let other = toTarget
                ? split.targetRequest ?? migration.read(request.route, body: body, for: migration.target,
                                                        maxBulkDevices: request.state.limits.maxBulkDevices, now: request.now)
                : split.currentRequest
            var ready: [Int] = []
            for index in indices {
                // A change the other vendor can't read is compared with that refusal, without a call.
                let refusal: Problem? = switch other {
                case .failure(let problem): problem
                case .success(let read) where read.items.count != served.items.count:
                    Problem(.internalError, detail: "The other vendor read the request otherwise.")
                case .success(let read): read.items[index].change.failureValue
                }
                if let refusal {
                    compare(.failure(refusal), at: index, toTarget: toTarget, served: served, results: results, migration: migration,
                            request: request)
                } else {
                    ready.append(index)
                }
            }
            guard !ready.isEmpty, case .success(let read) = other else { continue }
            let sending = Set(ready)
            let otherRequest = read.keeping { sending.contains($0) }
            guard waiting.count - next < Self.maxWaiting else {
                for _ in ready { dropped(migration) }
                continue
            }
            waiting.append(Job(request: request, migration: migration, toTarget: toTarget, otherRequest: otherRequest,
                               servedRequest: served, servedResults: results))
        }
        startWaiting()
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
        let binding = job.toTarget ? job.migration.target : job.migration.current
        DeviceCall.begin(request: job.request, binding: binding, deviceRequest: job.otherRequest).start(completion: .closure { [self] outcome in
            inFlight -= 1
            let nanoseconds = loop.now &- started
            job.migration.report.recordLatency(current: job.toTarget ? nil : nanoseconds, target: job.toTarget ? nanoseconds : nil)
            for (index, item) in job.otherRequest.items.enumerated() {
                guard case .success(let change) = item.change else { continue }
                let answer: Result<DeviceDocument, Problem> = switch outcome.results[index] {
                case .accepted(_, let confirmed): .success(DeviceAnswer.answered(change, confirmed: confirmed))
                case .failed(let problem): .failure(problem)
                }
                compare(answer, at: index, toTarget: job.toTarget, served: job.servedRequest, results: job.servedResults,
                        migration: job.migration, request: job.request)
            }
            startWaiting()
        })
    }

    /// Compares the other vendor's answer to one change with the serving vendor's (which accepted
    /// it). The report always compares the current vendor's answer with the target's; a change the
    /// target served that the current vendor then refused is what a step back would lose.
    private func compare(_ other: Result<DeviceDocument, Problem>, at index: Int, toTarget: Bool, served: DeviceRequest,
                         results: [DeviceResult], migration: Migration, request: GatewayRequest) {
        guard case .accepted(_, let confirmed) = results[index], case .success(let change) = served.items[index].change else { return }
        let servedAnswer = DeviceAnswer.answered(change, confirmed: confirmed)
        let comparison: ChangeComparison
        if toTarget {
            comparison = ChangeComparison.compare(current: servedAnswer, target: other, ignoring: migration.ignoring)
            if migration.stage == .canary {
                let refused = switch comparison {
                case .targetError, .notPortable: true
                case .match, .mismatch: false
                }
                migration.recordOutcome(atTarget: true, failed: refused)
            }
        } else {
            switch other {
            case .failure(let problem):
                migration.report.recordPreviousVendorError(problem.code)
                if migration.stage == .canary { migration.recordOutcome(atTarget: false, failed: problem.code.status >= 502) }
                return
            case .success(let currentAnswer):
                comparison = ChangeComparison.compare(current: currentAnswer, target: .success(servedAnswer), ignoring: migration.ignoring)
            }
        }
        migration.report.record(comparison, operation: request.operationName, requestID: request.requestID.description)
        metrics.record(.migrationComparison(tenant: migration.report.tenant, result: comparison.label))
    }

    private func dropped(_ migration: Migration) {
        migration.report.recordDropped()
        metrics.record(.migrationComparison(tenant: migration.report.tenant, result: "dropped"))
    }
}
