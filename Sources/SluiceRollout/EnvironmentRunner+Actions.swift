import Foundation
import Logging
import SluiceCore
import SluiceDrivers
import SluicePlan
import SluiceStore

/// The runner's I/O side: each action performed in a task of its own, its answer posted
/// to the mailbox as an event; each event handed to the machine.
extension EnvironmentRunner {
    // MARK: - Events and actions

    func handle(_ event: Event, _ active: inout Active, now: Date) -> RolloutOutput {
        let id = active.machine.state.id
        switch event {
        case .planned(let rollout, let outcomes, let pairs):
            guard rollout == id else { return RolloutOutput() }
            // Plans of earlier batches are not needed again (a restart plans anew too).
            let batch = Set(active.machine.state.clusters.map(\.name))
            active.pairs = active.pairs.filter { batch.contains($0.key) }
            for (cluster, planned) in pairs { active.pairs[cluster] = Dictionary(planned.map { ($0.addon, $0) }, uniquingKeysWith: { a, _ in a }) }
            return active.machine.planned(outcomes, now: now)
        case .applied(let rollout, let cluster, let addon, let attempt, let result):
            guard rollout == id else { return RolloutOutput() }
            return active.machine.applied(cluster: cluster, addon: addon, attempt: attempt, result, now: now)
        case .partitionSet(let rollout, let cluster, let addon, let attempt, let step, let result):
            guard rollout == id else { return RolloutOutput() }
            return active.machine.partitionSet(cluster: cluster, addon: addon, attempt: attempt, step: step, result, now: now)
        case .status(let rollout, let cluster, let addon, let attempt, let step, let observation):
            guard rollout == id else { return RolloutOutput() }
            return active.machine.statusObserved(cluster: cluster, addon: addon, attempt: attempt, step: step, observation, now: now)
        case .hook(let rollout, let cluster, let addon, let attempt, let answer):
            guard rollout == id else { return RolloutOutput() }
            return active.machine.hookAnswered(cluster: cluster, addon: addon, attempt: attempt, answer, now: now)
        case .check(let rollout, let check, let outcome):
            guard rollout == id else { return RolloutOutput() }
            return active.machine.checkFinished(check, outcome, now: now)
        case .rollbackPlanned(let rollout, let cluster, let outcome, let pairs):
            guard rollout == id else { return RolloutOutput() }
            active.pairs[cluster] = Dictionary(pairs.map { ($0.addon, $0) }, uniquingKeysWith: { a, _ in a })
            return active.machine.rollbackPlanned(cluster: cluster, outcome, now: now)
        case .driftDetected, .drift, .leaseLost:
            // The re-sync's (`handleDrift`) and the loop's, never the rollout's.
            return RolloutOutput()
        }
    }

    func perform(_ action: RolloutAction, _ active: Active, _ mailbox: Mailbox<Event>, _ tasks: ActionTasks) {
        let id = active.machine.state.id
        let effects = active.effects
        var context = active.context
        context.stage = active.machine.state.currentStage?.name ?? ""
        let checks = active.checks
        let state = active.machine.state, cache = active.pairs
        func steps(_ cluster: String, _ addon: String) -> Int {
            state.clusters.first { $0.name == cluster }?.pairs.first { $0.addon == addon }?.steps ?? 1
        }
        func pair(_ cluster: String, _ addon: String) -> PlannedPair? { cache[cluster]?[addon] }
        // A cluster rolling back applies the base commit: a pair planned again (after a
        // restart nothing is cached) is planned there.
        func commit(_ cluster: String) -> String {
            state.clusters.first { $0.name == cluster }?.phase == .rollingBack ? state.baseCommit ?? state.commit : state.commit
        }
        // Each action's own time (real time: the work, not the rollout's clock).
        let metrics = options.metrics, environment = self.environment, name = action.name
        func start(_ body: @escaping @Sendable () async -> Void) {
            tasks.start {
                let started = ContinuousClock.now
                await body()
                metrics.actionTook(name, environment: environment, ContinuousClock.now - started)
            }
        }
        switch action {
        case .plan(let clusters):
            start { let (outcomes, pairs) = await effects.plan(clusters); await mailbox.put(.planned(id, outcomes, pairs)) }
        case .apply(let cluster, let addon, let attempt):
            let planned = pair(cluster, addon), hold = steps(cluster, addon) > 1, at = commit(cluster)
            start {
                // After a restart the plan is made again: a pair a plan finds nothing to do for is
                // done; a plan that fails is that failure.
                let result: StepResult
                switch await target(planned, cluster, addon, at: at, effects) {
                case .success(let target?):
                    guard let applied = await effects.apply(target, holdPartitions: hold) else { return await mailbox.put(.leaseLost) }
                    result = applied
                case .success(nil): result = .ok
                case .failure(let failure): result = .failed(failure)
                }
                await mailbox.put(.applied(id, cluster: cluster, addon: addon, attempt: attempt, result))
            }
        case .setPartition(let cluster, let addon, let attempt, let step):
            let planned = pair(cluster, addon), at = commit(cluster)
            start {
                let result: StepResult
                switch await target(planned, cluster, addon, at: at, effects) {
                case .success(let target?):
                    guard let set = await effects.setPartition(target, step: step) else { return await mailbox.put(.leaseLost) }
                    result = set
                case .success(nil): result = .ok
                case .failure(let failure): result = .failed(failure)
                }
                await mailbox.put(.partitionSet(id, cluster: cluster, addon: addon, attempt: attempt, step: step, result))
            }
        case .readStatus(let cluster, let addon, let attempt, let step):
            let planned = pair(cluster, addon), count = steps(cluster, addon), at = commit(cluster)
            start {
                let observation: StatusObservation
                switch await target(planned, cluster, addon, at: at, effects) {
                case .success(let target?): observation = await effects.status(target, step: step, steps: count)
                case .success(nil): observation = .progress(complete: true, detail: "nothing to wait for")
                case .failure(let failure): observation = .failed(failure)
                }
                await mailbox.put(.status(id, cluster: cluster, addon: addon, attempt: attempt, step: step, observation))
            }
        case .hook(let cluster, let addon, let attempt, let step):
            let planned = pair(cluster, addon), at = commit(cluster)
            start {
                let answer: HookRun.Answer
                switch await target(planned, cluster, addon, at: at, effects) {
                case .success(let target?):
                    guard let done = await effects.hook(step, target) else { return await mailbox.put(.leaseLost) }
                    answer = done
                // Planned again after a restart with nothing to do: its hooks ran and it is settled.
                case .success(nil): answer = HookRun.answerNothingLeft(step)
                case .failure(let failure): answer = HookRun.answer(step, failed: failure)
                }
                await mailbox.put(.hook(id, cluster: cluster, addon: addon, attempt: attempt, answer))
            }
        case .runCheck(let check):
            let context = context
            start { await mailbox.put(.check(id, check, await checks.run(check, context))) }
        case .planRollback(let cluster):
            let base = state.baseCommit ?? state.commit
            start {
                let (outcomes, pairs) = await effects.plan([cluster], at: base)
                let outcome = outcomes[cluster] ?? .failed(ActionFailure(.unplannable, "the plan at \(base.prefix(12)) does not have cluster \(cluster)"))
                await mailbox.put(.rollbackPlanned(id, cluster: cluster, outcome, pairs[cluster] ?? []))
            }
        }
    }

    /// The cached plan of a pair, or a new one.
    private func target(_ planned: PlannedPair?, _ cluster: String, _ addon: String, at commit: String,
                        _ effects: RolloutEffects) async -> Result<PlannedPair?, ActionFailure> {
        if let planned { return .success(planned) }
        return await effects.replan(cluster, addon, at: commit)
    }

    func log(_ event: HistoryEvent) {
        // `at` is the rollout's time (virtual or scaled), not the wall clock's.
        var metadata: Logger.Metadata = ["kind": .string(event.kind.rawValue), "at": .string(event.at.formatted(.iso8601))]
        if let cluster = event.cluster { metadata["cluster"] = .string(cluster) }
        if let addon = event.addon { metadata["addon"] = .string(addon) }
        if let commit = event.commit { metadata["commit"] = .string(String(commit.prefix(12))) }
        if let outcome = event.outcome { metadata["outcome"] = .string(outcome.rawValue) }
        logger.log(level: Self.level(of: event), "\(event.detail)", metadata: metadata)
    }

    /// Failures warn; halts, rejections and a damaged store are errors, so that they can be alerted on.
    static func level(of event: HistoryEvent) -> Logger.Level {
        switch event.outcome?.severity ?? .info {
        case .info: return .info
        case .warning: return .warning
        case .error: return .error
        }
    }
}
