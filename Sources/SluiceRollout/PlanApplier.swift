import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluicePlan
import SluiceStore

/// Carries out a plan on its clusters (the one-shot `sluice apply`, and a re-sync's drift
/// correction; a rollout's rollback is the machine's own actions): on each cluster, add-on by add-on in dependency order, the add-on's
/// steps (create, merge patch, delete, recreate), then a wait until its workloads are healthy
/// (bounded by the add-on's `health.timeout`), then the record of its commit (DESIGN §2 step
/// 4). An add-on that fails stops its cluster, so nothing starts before its dependencies are
/// healthy. No batches, bakes or partitions: those belong to the controller (RolloutMachine).
public struct PlanApplier: Sendable {
    public var store: any StateStore
    public var connector: any ClusterDrivers
    public var clock: any FleetClock
    /// Clusters applied at the same time.
    public var concurrency: Int
    /// Seconds between two reads of a workload's status while waiting for health.
    public var pollSeconds: Double = 2
    /// When an add-on sets no `health.timeout`.
    public var defaultHealthTimeout: Double = 300

    public init(store: any StateStore, connector: any ClusterDrivers, clock: any FleetClock, concurrency: Int = 4) {
        self.store = store
        self.connector = connector
        self.clock = clock
        self.concurrency = concurrency
    }

    public struct Report: Sendable {
        /// Pairs whose commit is now recorded (changed or not).
        public var recorded = 0
        /// Object operations sent to clusters.
        public var operations = 0
        public var failures: [Failure] = []
    }

    public struct Failure: Sendable, CustomStringConvertible {
        public var cluster: String
        public var addon: String
        public var message: String
        /// What failed, typed: a store write, an apply, or a health clock.
        public var outcome: HistoryOutcome = .pairFailed
        public var description: String { "cluster \(cluster), add-on \(addon): \(message)" }
    }

    /// Refuses the whole plan when any pair is blocked or any cluster unreachable: applying
    /// the rest would leave the fleet half on a commit that was not accepted.
    public func apply(_ result: PlanResult) async throws(ApplyRefusal) -> Report {
        var reasons = result.pairs.flatMap { pair in pair.blocked.map { "cluster \(pair.cluster), add-on \(pair.addon): \($0)" } }
        for environment in result.plan.environments {
            for stage in environment.stages {
                for cluster in stage.batches.flatMap(\.clusters) {
                    if let why = cluster.unreachable { reasons.append("cluster \(cluster.name): \(why)") }
                }
            }
        }
        guard reasons.isEmpty else { throw ApplyRefusal(reasons: reasons) }
        guard !result.plan.commit.isEmpty, result.repository.commit != nil else {
            throw ApplyRefusal(reasons: ["the fleet repo is not a Git commit: only a commit can be applied and recorded"])
        }
        // One writer per environment, held until every cluster is applied and recorded.
        var leases: [any WriterLease] = []
        for environment in result.plan.environments {
            do { leases.append(try await store.lockEnvironment(environment.name, holder: "sluice apply")) } catch {
                for lease in leases { await lease.release() }
                throw ApplyRefusal(reasons: [error.description], lockedBy: error.kind)
            }
        }
        var byCluster: [(String, [PlannedPair])] = []
        for pair in result.pairs {
            if byCluster.last?.0 == pair.cluster { byCluster[byCluster.count - 1].1.append(pair) } else { byCluster.append((pair.cluster, [pair])) }
        }
        let clusters = byCluster
        let repository = result.repository
        let kinds = repository.customWorkloads
        let reports = await BoundedConcurrency.map(clusters.count, parallelism: concurrency) { index in
            await applyCluster(clusters[index].1, repository: repository, kinds: kinds)
        }
        for lease in leases { await lease.release() }
        return reports.reduce(into: Report()) { total, report in
            total.recorded += report.recorded
            total.operations += report.operations
            total.failures += report.failures
        }
    }

    private func applyCluster(_ pairs: [PlannedPair], repository: FleetRepository, kinds: WorkloadKinds) async -> Report {
        var report = Report()
        guard let first = pairs.first, let cluster = repository.clusters[first.cluster] else { return report }
        // Settled pairs render at the commit to what is already applied and recorded: they are
        // recorded together, whatever happens to the others. A pair whose objects already
        // match the target but whose record does not (an earlier apply failed its health
        // wait) is done only once its workloads are healthy at the target.
        let unchanged = pairs.filter(\.isSettled)
        if !unchanged.isEmpty {
            let now = await clock.now()
            do {
                try await store.recordApply(unchanged.map { $0.record(at: now) })
                report.recorded += unchanged.count
            } catch {
                report.failures.append(Failure(cluster: first.cluster, addon: unchanged.map(\.addon).joined(separator: ","),
                                               message: "\(error)"))
                return report
            }
        }
        for pair in pairs where !pair.isSettled {
            do {
                let driver = try await connector.driver(for: cluster)
                // Marked before the cluster is touched: if this apply fails or is cut short,
                // the next plan renders the pair instead of trusting its record.
                if !pair.steps.isEmpty, pair.recordedCommit != nil {
                    var mark = StoreTransition()
                    mark.pending = [PendingApply(environment: pair.environment, cluster: pair.cluster, addon: pair.addon, commit: pair.commit)]
                    try await store.commit(mark)
                }
                for step in pair.steps {
                    try await Self.perform(step, on: driver)
                    report.operations += 1
                }
                let addon = repository.addons[pair.addon]
                try await waitForHealth(pair.objects, on: driver, kinds: kinds,
                                        timeout: addon?.healthTimeout.map(GoDuration.seconds) ?? defaultHealthTimeout,
                                        deadline: addon?.healthDeadline.map(GoDuration.seconds))
                let now = await clock.now()
                if pair.removed {
                    try await store.removeApplied(environment: pair.environment, cluster: pair.cluster, addon: pair.addon,
                                            commit: pair.commit, at: now)
                } else {
                    try await store.recordApply(pair.record(at: now))
                    report.recorded += 1
                }
            } catch {
                let message = "\(error)"
                let outcome = (error as? HealthTimeout)?.expiry.outcome ?? .pairFailed
                report.failures.append(Failure(cluster: pair.cluster, addon: pair.addon, message: message, outcome: outcome))
                // The failure is in the report the caller prints; a history that cannot be
                // written now loses only this line of it.
                try? await store.append(HistoryEvent(at: await clock.now(), kind: .apply, environment: pair.environment,
                                               cluster: pair.cluster, addon: pair.addon, commit: pair.commit,
                                               detail: "failed: \(message)", outcome: outcome))
                // Its dependents must not start on an add-on that is not healthy.
                break
            }
        }
        return report
    }

    static func perform(_ step: ApplyStep, on driver: any ClusterDriver) async throws(DriverError) {
        if let apply = step.serverSide {
            switch step.action {
            case .create, .update:
                _ = try await driver.applyServerSide(apply.object, key: step.key, force: apply.force)
                return
            case .delete, .recreate, .unchanged:
                break
            }
        }
        switch step.action {
        case .create(let object):
            _ = try await driver.create(object, key: step.key)
        case .update(let patch):
            var patch = patch
            // A 409: the object changed since it was read. Read it again and diff again, a few times.
            for attempt in 1... {
                do {
                    _ = try await driver.patch(step.key, mergePatch: patch)
                    return
                } catch {
                    guard case .conflict = error, attempt < 4, let rediff = step.rediff else { throw error }
                    guard let live = try await driver.get(step.key) else { throw .notFound(step.key) }
                    guard let again = try rediff(live).get() else { return }
                    patch = again
                }
            }
        case .delete:
            try await driver.delete(step.key)
        case .recreate:
            guard let object = step.object else { throw .invalid(step.key, "recreate without an object") }
            try await driver.delete(step.key)
            _ = try await driver.create(object, key: step.key)
        case .unchanged:
            break
        }
    }

    /// Waits until every workload among `keys` is rolled out and ready. Like the controller
    /// (`HealthDeadline`), it fails when no pod got ready for `timeout`, or after `deadline` in all.
    private func waitForHealth(_ keys: [ObjectKey], on driver: any ClusterDriver, kinds: WorkloadKinds, timeout: Double,
                               deadline: Double?) async throws {
        var clocks = HealthDeadline.starting(at: await clock.now(), progressSeconds: timeout, stepSeconds: deadline)
        while true {
            var pods = PodCount()
            var waiting: (ObjectKey, WorkloadStatus)?
            for key in keys {
                guard let status = try await driver.workloadStatus(key, kinds: kinds) else { continue }
                pods.add(status, lastStep: true)
                if !status.isHealthy && waiting == nil { waiting = (key, status) }
            }
            guard let (key, status) = waiting else { return }
            let now = await clock.now()
            if case .expired(let expiry) = clocks.observe(pods, now: now) {
                throw HealthTimeout(key: key, status: status, expiry: expiry)
            }
            try await clock.sleep(seconds: pollSeconds)
        }
    }
}

/// A workload that did not become healthy in time.
public struct HealthTimeout: Error, CustomStringConvertible {
    public var key: ObjectKey
    public var status: WorkloadStatus
    public var expiry: HealthDeadline.Expiry
    public var description: String {
        "\(key): \(expiry): \(status.updatedReady) of \(status.desired) pods updated and ready"
    }
}

/// Why an apply did not start; nothing was applied.
public struct ApplyRefusal: Error, CustomStringConvertible {
    public var reasons: [String]
    /// Set when the store refused: another writer holds an environment, the store is read-only.
    public var store: StoreError.Kind?
    public var description: String { reasons.joined(separator: "\n") }

    public init(reasons: [String], lockedBy store: StoreError.Kind? = nil) {
        self.reasons = reasons
        self.store = store
    }
}
