import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluicePlan
import SluiceStore
import SluiceYAML

/// The one-shot `sluice apply`: carries out a plan on its clusters through the same machine
/// as a re-sync's drift correction (`DirectApply`): on each cluster (`concurrency` at a time),
/// add-on by add-on in dependency order, the add-on's steps, then its workloads' status read
/// on the clock until healthy (bounded by `health.timeout` and `health.deadline`), then the
/// record of its commit (DESIGN §2 step 4). An add-on that fails stops its cluster, so nothing
/// starts before its dependencies are healthy. Each step's records, marks and history are
/// written in one transaction before what they guard is performed; the actions run in a task
/// group. No batches, bakes or partitions: those belong to the controller (RolloutMachine).
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
        var leases: [String: any WriterLease] = [:]
        for environment in result.plan.environments {
            do { leases[environment.name] = try await store.lockEnvironment(environment.name, holder: "sluice apply") } catch {
                for lease in leases.values { await lease.release() }
                throw ApplyRefusal(reasons: [error.description], lockedBy: error.kind)
            }
        }
        var report = Report()
        // Settled pairs render at the commit to what is already applied and recorded: they are
        // recorded at once. A pair whose objects already match the target but whose record
        // does not (an earlier apply failed its health wait) goes through the machine, so it
        // is recorded only once its workloads are healthy at the target.
        let settled = result.pairs.filter(\.isSettled)
        if !settled.isEmpty {
            let now = await clock.now()
            var transition = StoreTransition()
            transition.records = settled.map { $0.record(at: now) }
            do {
                try await store.commit(transition)
                report.recorded += settled.count
            } catch {
                report.failures += settled.map { Failure(cluster: $0.cluster, addon: $0.addon, message: "state store: \(error.description)") }
            }
        }
        // One machine per environment (its records and marks are that environment's).
        for environment in Set(result.pairs.map(\.environment)).sorted() {
            let pairs = result.pairs.filter { $0.environment == environment && !$0.isSettled }
            if !pairs.isEmpty { await applyThrough(pairs, environment: environment, lease: leases[environment], result: result, into: &report) }
        }
        for lease in leases.values { await lease.release() }
        return report
    }

    private func applyThrough(_ planned: [PlannedPair], environment: String, lease: (any WriterLease)?, result: PlanResult,
                              into report: inout Report) async {
        let effects = {
            var effects = RolloutEffects(environment: environment, commit: result.plan.commit, gitPath: "", repository: result.repository,
                                         store: store, connector: connector, clock: clock, loader: FleetLoader())
            effects.lease = lease
            return effects
        }()
        var machine = DirectApply(environment: environment, commit: result.plan.commit, pairs: planned.map(effects.directPair),
                                  concurrency: concurrency, pollSeconds: pollSeconds)
        let byKey = Dictionary(planned.map { ("\($0.cluster)/\($0.addon)", $0) }, uniquingKeysWith: { a, _ in a })
        var storeFailure: String?
        var step = machine.start(now: await clock.now())
        await withTaskGroup(of: DirectApply.Answer.self) { group in
            var inFlight = 0
            while true {
                // Written before anything it guards is performed; a store that fails starts nothing new.
                let written = storeFailure == nil ? await write(step, environment: environment, result: result, into: &report, storeFailure: &storeFailure) : false
                if !written {
                    machine.notPerformed(step.actions)
                    step.actions = []
                }
                for action in step.actions {
                    inFlight += 1
                    let (cluster, addon) = action.pair
                    let pair = byKey["\(cluster)/\(addon)"]
                    group.addTask {
                        // A lease lost mid-apply: the pair fails, and the next write is refused.
                        await effects.perform(action, pair)
                            ?? action.failed(ActionFailure(.refused, "the lease of environment \(environment) was lost: nothing more was sent"))
                    }
                }
                if inFlight == 0 && machine.isOver { break }
                if inFlight > 0, let answer = await group.next() {
                    inFlight -= 1
                    if case .applied(let cluster, let addon, .ok) = answer { report.operations += byKey["\(cluster)/\(addon)"]?.steps.count ?? 0 }
                    step = machine.answered(answer, now: await clock.now())
                } else if let wake = machine.wakeAt {
                    do { try await clock.sleep(until: wake) } catch { machine.giveWay() }
                    step = machine.timerFired(now: await clock.now())
                } else {
                    break
                }
            }
        }
        // What a failing store (or a cancellation) left undone is a failure too, with why.
        for pair in machine.pairs {
            guard case .ended(.gaveWay) = pair.phase else { continue }
            report.failures.append(Failure(cluster: pair.cluster, addon: pair.addon,
                                           message: "not applied: " + (storeFailure.map { "state store: \($0)" } ?? "the apply was stopped")))
        }
    }

    /// Writes one step; false when the store refused it (nothing of the step is performed).
    private func write(_ step: DirectApply.Output, environment: String, result: PlanResult, into report: inout Report,
                       storeFailure: inout String?) async -> Bool {
        let now = await clock.now()
        var failures: [Failure] = []
        for ended in step.ended {
            let message: String, outcome: HistoryOutcome
            switch ended.ending {
            case .applied, .skipped, .gaveWay: continue
            case .failed(let failure): (message, outcome) = (failure.detail, .pairFailed)
            case .unhealthy(let expiry, let detail): (message, outcome) = ("\(expiry): \(detail)", expiry.outcome)
            }
            failures.append(Failure(cluster: ended.cluster, addon: ended.addon, message: message, outcome: outcome))
        }
        var transition = StoreTransition()
        transition.records = step.records
        transition.removals = step.removals
        transition.pending = step.pending
        let commit = result.plan.commit
        transition.history = failures.map { failure in
            HistoryEvent(at: now, kind: .apply, environment: environment, cluster: failure.cluster, addon: failure.addon,
                         commit: commit, detail: "failed: \(failure.message)", outcome: failure.outcome)
        }
        report.failures += failures
        do {
            try await store.commit(transition)
            report.recorded += step.records.count
            return true
        } catch {
            storeFailure = error.description
            return false
        }
    }

    /// One apply step on a cluster: create, merge patch (read and diffed again on a conflict),
    /// server-side apply, delete, or recreate.
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
            do {
                _ = try await driver.create(object, key: step.key)
            } catch .conflict(let key) {
                // 409 AlreadyExists: created meanwhile (most often by this apply, before an
                // outage cut it short and it was replayed). Diffed against it, and updated.
                guard let rediff = step.rediff, let live = try await driver.get(key) else { throw .conflict(key) }
                guard let patch = try rediff(live).get() else { return }
                try await update(step, patch: patch, on: driver)
            }
        case .update(let patch):
            try await update(step, patch: patch, on: driver)
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

    /// A merge patch; on a 409 (the object changed since it was read) read again and diffed
    /// again, a few times.
    private static func update(_ step: ApplyStep, patch: Value, on driver: any ClusterDriver) async throws(DriverError) {
        var patch = patch
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
