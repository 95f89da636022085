import Foundation
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceStore

/// The I/O behind `RolloutAction`s: planning a batch, applying a pair, moving partitions,
/// reading workload status, rollbacks. Each takes values and returns the answer the machine
/// expects; none of them decides anything about the rollout.
struct RolloutEffects: Sendable {
    let environment: String
    let commit: String
    let gitPath: String
    let repository: FleetRepository
    let store: any StateStore
    let connector: any ClusterDrivers
    let clock: any FleetClock
    let loader: FleetLoader
    /// The controller's records in memory (nil: read them all).
    var mirror: AppliedRecordsMirror?
    /// The rollout commit's custom workload kinds: what is judged and stepped.
    let kinds: WorkloadKinds
    /// Add-ons apply with this health timeout when they set none.
    var defaultHealthTimeout: Double = 300
    /// The environment's writer lease, confirmed (locally, no round trip) before every change
    /// sent to a cluster: a writer that lost it (paused or cut off while another took over)
    /// sends nothing more, as its store writes are fenced.
    var lease: (any WriterLease)?

    /// The lease was found lost before a change: nothing more was sent.
    struct LeaseLost: Error {}

    init(environment: String, commit: String, gitPath: String, repository: FleetRepository, store: any StateStore,
         connector: any ClusterDrivers, clock: any FleetClock, loader: FleetLoader, mirror: AppliedRecordsMirror? = nil) {
        self.environment = environment
        self.commit = commit
        self.gitPath = gitPath
        self.repository = repository
        self.store = store
        self.connector = connector
        self.clock = clock
        self.loader = loader
        self.mirror = mirror
        kinds = repository.customWorkloads
    }

    /// Plans `clusters` at the rollout's commit (the commit was validated when the rollout
    /// started, so only these clusters are rendered).
    func plan(_ clusters: [String]) async -> (outcomes: [String: ClusterPlanOutcome], pairs: [String: [PlannedPair]]) {
        await plan(clusters, at: commit)
    }

    func plan(_ clusters: [String], at commit: String) async -> (outcomes: [String: ClusterPlanOutcome], pairs: [String: [PlannedPair]]) {
        func all(_ outcome: ClusterPlanOutcome) -> [String: ClusterPlanOutcome] {
            Dictionary(uniqueKeysWithValues: clusters.map { ($0, outcome) })
        }
        switch await planResult(clusters, at: commit) {
        case .success(let planned): return await outcomes(of: planned, clusters: clusters)
        case .failure(let failure): return (all(.failed(failure)), [:])
        }
    }

    /// One pair planned again (after a restart, nothing is cached). A plan that failed is the
    /// answer, never "nothing to do": a pair is taken as settled only when a plan says so.
    func replan(_ cluster: String, _ addon: String, at commit: String) async -> Result<PlannedPair?, ActionFailure> {
        let (outcomes, pairs) = await plan([cluster], at: commit)
        switch outcomes[cluster] {
        case .failed(let failure): return .failure(failure)
        case .planned, nil: return .success(pairs[cluster]?.first { $0.addon == addon })
        }
    }

    /// What a plan says about each of `clusters`, as the machine needs it.
    func outcomes(of result: PlanResult, clusters: [String]) async -> (outcomes: [String: ClusterPlanOutcome], pairs: [String: [PlannedPair]]) {
        var byCluster: [String: [PlannedPair]] = [:]
        for pair in result.pairs { byCluster[pair.cluster, default: []].append(pair) }
        var plans: [String: FleetPlan.ClusterPlan] = [:]
        for environment in result.plan.environments {
            for stage in environment.stages { for batch in stage.batches { for cluster in batch.clusters { plans[cluster.name] = cluster } } }
        }
        var outcomes: [String: ClusterPlanOutcome] = [:]
        for name in clusters {
            if let unreachable = plans[name]?.unreachable {
                // Refused (credentials, TLS, a missing context) fails the cluster now and counts
                // against maxFailures; only what may pass by itself waits as unreachable.
                outcomes[name] = .failed(ActionFailure(plans[name]?.summary.refused == 1 ? .refused : .unreachable, unreachable))
                continue
            }
            let pairs = byCluster[name] ?? []
            let blocked = pairs.flatMap { pair in pair.blocked.map { "add-on \(pair.addon): \($0)" } }
            if !blocked.isEmpty {
                outcomes[name] = .failed(ActionFailure(.unplannable, blocked.joined(separator: "; ")))
                continue
            }
            var plans: [PairPlan] = []
            let present = Set(pairs.filter { !$0.removed }.map(\.addon))
            // Without its driver, whether a workload steps in partitions is unknown: the cluster
            // is that error (unreachable or refused), never planned as if it had none.
            let driver: any ClusterDriver
            do { driver = try await self.driver(name) } catch {
                outcomes[name] = .failed(ActionFailure(error))
                continue
            }
            for pair in pairs {
                let addon = result.repository.addons[pair.addon]
                var steps = 1
                // Partition steps hold old pods at their revision: only an update of a live
                // workload has any (a first install starts every pod new).
                if let partitions = addon?.rollout?.partitions, !partitions.isEmpty,
                   pair.steps.contains(where: { step in
                       if case .update = step.action { return driver.canPartition(step.key, kinds: kinds) }
                       return false
                   }) {
                    steps = partitions.count + (partitions.last == .percent(100) ? 0 : 1)
                }
                plans.append(PairPlan(addon: pair.addon, dependsOn: (addon?.dependsOn.map(\.value) ?? []).filter(present.contains),
                                      digest: pair.digest, settled: pair.isSettled, removed: pair.removed, steps: steps,
                                      stepBakeSeconds: addon?.rollout?.bake.map(GoDuration.seconds),
                                      healthTimeoutSeconds: addon?.healthTimeout.map(GoDuration.seconds) ?? defaultHealthTimeout,
                                      healthDeadlineSeconds: addon?.healthDeadline.map(GoDuration.seconds),
                                      preHooks: pair.hookCount(.pre), postHooks: pair.hookCount(.post),
                                      revision: pair.revision))
            }
            outcomes[name] = .planned(plans)
        }
        return (outcomes, byCluster)
    }

    func driver(_ name: String) async throws(DriverError) -> any ClusterDriver {
        guard let cluster = repository.clusters[name] else { throw .unavailable("cluster \(name) is not in the fleet repo at \(commit.prefix(12))") }
        return try await connector.driver(for: cluster)
    }

    /// The pair's steps, in order. With partition steps, an updated workload is first held
    /// at its old revision (partition = every pod), so that no pod moves before step one.
    /// Nil: the lease was lost, and the steps from there on were not sent.
    func apply(_ pair: PlannedPair, holdPartitions: Bool) async -> StepResult? {
        do {
            let driver = try await driver(pair.cluster)
            for step in pair.steps {
                if holdPartitions, case .update = step.action, driver.canPartition(step.key, kinds: kinds),
                   let status = try await driver.workloadStatus(step.key, kinds: kinds) {
                    try await confirmLease()
                    try await driver.setPartition(step.key, to: status.desired, kinds: kinds)
                }
                try await confirmLease()
                do { try await PlanApplier.perform(step, on: driver) } catch {
                    // What the cluster refused is named at its template, as the plan names it.
                    guard !error.isTransient, !step.template.isEmpty else { throw error }
                    return .failed(ActionFailure(ActionFailure(error).kind, "\(step.template): \(error)"))
                }
            }
            return .ok
        } catch let error as DriverError {
            return .failed(ActionFailure(error))
        } catch {
            return nil  // LeaseLost, the only other error
        }
    }

    /// Lets partition step `step` through on every partitionable workload of the pair (nil:
    /// the lease was lost, as for `apply`).
    func setPartition(_ pair: PlannedPair, step: Int) async -> StepResult? {
        let partitions = repository.addons[pair.addon]?.rollout?.partitions ?? []
        do {
            let driver = try await driver(pair.cluster)
            for key in pair.objects where driver.canPartition(key, kinds: kinds) {
                guard let status = try await driver.workloadStatus(key, kinds: kinds) else { continue }
                let partition = step < partitions.count ? max(0, status.desired - partitions[step].cumulative(of: status.desired)) : 0
                try await confirmLease()
                try await driver.setPartition(key, to: partition, kinds: kinds)
            }
            return .ok
        } catch let error as DriverError {
            return .failed(ActionFailure(error))
        } catch {
            return nil  // LeaseLost, the only other error
        }
    }

    private func confirmLease() async throws(LeaseLost) {
        guard let lease else { return }
        do { try await lease.confirm() } catch { throw LeaseLost() }
    }

    /// Whether step `step` of the pair is complete: every workload's status is about the
    /// generation this apply produced, and the pods the step lets through are updated and
    /// ready (the last step: every pod, partition released).
    func status(_ pair: PlannedPair, step: Int, steps: Int) async -> StatusObservation {
        do {
            let driver = try await driver(pair.cluster)
            var complete = true
            var details: [String] = []
            var pods = PodCount()
            for key in pair.objects where !pair.removed {
                guard let status = try await driver.workloadStatus(key, kinds: kinds) else { continue }
                let last = step + 1 >= steps
                let done = last ? status.isHealthy : status.isStepComplete
                pods.add(status, lastStep: last)
                if !done {
                    complete = false
                    let stale = status.observedGeneration >= status.generation ? "" : ", status of generation \(status.observedGeneration) < \(status.generation)"
                    details.append("\(key.kind)/\(key.name) \(status.updatedReady)/\(status.desired) updated and ready\(stale)")
                }
            }
            return .progress(complete: complete, detail: complete ? "healthy" : details.joined(separator: "; "), pods: pods)
        } catch {
            return .failed(ActionFailure(error))
        }
    }

    /// One step of the pair's hooks of a moment (`HookRun`); nil: the lease was lost.
    func hook(_ action: HookRun.Action, _ pair: PlannedPair) async -> HookRun.Answer? {
        func failed(_ failure: ActionFailure) -> HookRun.Answer { HookRun.answer(action, failed: failure) }
        let moment: HookMoment
        switch action {
        case .create(let at, _), .read(let at, _), .cleanUp(let at): moment = at
        }
        let hooks = pair.hooks.filter { $0.moment == moment }
        do {
            let driver = try await driver(pair.cluster)
            switch action {
            case .create(_, let index), .read(_, let index):
                guard hooks.indices.contains(index) else {
                    return failed(ActionFailure(.unplannable, "\(pair.cluster)/\(pair.addon): hook \(index + 1) of the \(moment) hooks is not planned"))
                }
                let hook = hooks[index]
                if case .create = action { return .created(try await create(hook, on: driver)) }
                guard let live = try await driver.get(hook.key) else {
                    return .observed(.failed("hook \(hook.label(install: pair.recordedCommit == nil)): gone before it was done"))
                }
                switch HookObjectStatus.of(live, key: hook.key) {
                case .done: return .observed(.done)
                case .running(let detail): return .observed(.running("hook \(detail)"))
                case .failed(let detail):
                    if hook.hook.deletes(.hookFailed), hook.key.kind != "CustomResourceDefinition" {
                        try await confirmLease()
                        try await driver.delete(hook.key)
                    }
                    return .observed(.failed("hook \(detail)"))
                }
            case .cleanUp:
                // Helm deletes them once every hook of the moment is done, the last first.
                for hook in hooks.reversed() where hook.hook.deletes(.hookSucceeded) && hook.key.kind != "CustomResourceDefinition" {
                    try await confirmLease()
                    try await driver.delete(hook.key)
                }
                return .cleanedUp(.ok)
            }
        } catch let error as DriverError {
            return failed(ActionFailure(error))
        } catch {
            return nil  // LeaseLost, the only other error
        }
    }

    /// Creates a hook, the old one deleted first under `before-hook-creation` (CRDs never
    /// are, as in Helm). One still being deleted is a transient failure: tried again. Without
    /// that policy, a hook already there is Helm's error too.
    private func create(_ hook: PlannedHook, on driver: any ClusterDriver) async throws -> StepResult {
        if hook.hook.deletes(.beforeHookCreation), hook.key.kind != "CustomResourceDefinition", try await driver.get(hook.key) != nil {
            try await confirmLease()
            try await driver.delete(hook.key)
            if try await driver.get(hook.key) != nil {
                return .failed(ActionFailure(.unreachable, "\(hook.key): the hook of an earlier apply is still being deleted"))
            }
        }
        try await confirmLease()
        do {
            _ = try await driver.create(hook.object, key: hook.key)
        } catch .conflict(let key) {
            return .failed(ActionFailure(.rejected, "hook \(key) already exists, and its helm.sh/hook-delete-policy does not replace it"))
        }
        return .ok
    }

    /// A planned pair as `DirectApply` takes it (its add-on's health clocks).
    func directPair(_ pair: PlannedPair) -> DirectApply.Pair {
        let addon = repository.addons[pair.addon]
        var direct = DirectApply.Pair(cluster: pair.cluster, addon: pair.addon, digest: pair.digest,
                                      healthTimeoutSeconds: addon?.healthTimeout.map(GoDuration.seconds) ?? defaultHealthTimeout,
                                      healthDeadlineSeconds: addon?.healthDeadline.map(GoDuration.seconds),
                                      removed: pair.removed, recorded: pair.recordedCommit != nil,
                                      preHooks: pair.hookCount(.pre), postHooks: pair.hookCount(.post))
        direct.revision = pair.revision
        return direct
    }

    /// A `DirectApply` action on its planned pair (a pair not planned is a failure; nil: the
    /// lease was lost).
    func perform(_ action: DirectApply.Action, _ pair: PlannedPair?) async -> DirectApply.Answer? {
        switch action {
        case .apply(let cluster, let addon):
            guard let pair else { return .applied(cluster: cluster, addon: addon, .failed(ActionFailure(.unplannable, "\(cluster)/\(addon) is not planned"))) }
            return await apply(pair, holdPartitions: false).map { .applied(cluster: cluster, addon: addon, $0) }
        case .readStatus(let cluster, let addon):
            guard let pair else { return .status(cluster: cluster, addon: addon, .failed(ActionFailure(.unplannable, "\(cluster)/\(addon) is not planned"))) }
            return .status(cluster: cluster, addon: addon, await status(pair, step: 0, steps: 1))
        case .hook(let cluster, let addon, let step):
            guard let pair else { return action.failed(ActionFailure(.unplannable, "\(cluster)/\(addon) is not planned")) }
            return await hook(step, pair).map { .hook(cluster: cluster, addon: addon, $0) }
        }
    }

    private func planResult(_ clusters: [String], at commit: String) async -> Result<PlanResult, ActionFailure> {
        do {
            let tree = try await FleetCommits(gitPath: gitPath).tree(at: commit)
            var selection = PlanSelection(environment: environment, clusters: Set(clusters))
            selection.validatesEverything = false
            return .success(try await FleetPlanner(store: store, connector: connector, loader: loader, parallelism: 2, mirror: mirror)
                .plan(tree, gitPath: gitPath, selection: selection, detail: .apply))
        } catch let error as PlanError {
            return .failure(ActionFailure(.unplannable, "plan of \(commit.prefix(12)): \(error)"))
        } catch {
            // Git could not be read: worth trying again, like an unreachable cluster.
            return .failure(ActionFailure(.unreachable, "fleet repo: \(error)"))
        }
    }
}

extension PodCount {
    /// Adds a workload's pods: those a step waits for (all of them in the last step, the ones
    /// the partition lets through before), ready ones counted only from a status about the
    /// current generation (an older status's numbers are the old template's).
    mutating func add(_ status: WorkloadStatus, lastStep: Bool) {
        let wanted = lastStep ? status.desired : max(0, status.desired - status.partition)
        desired += wanted
        ready += status.observedGeneration >= status.generation ? min(status.updatedReady, wanted) : 0
    }
}
