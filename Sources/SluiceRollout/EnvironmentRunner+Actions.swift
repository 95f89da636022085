import Foundation
import Logging
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
        case .check(let rollout, let check, let outcome):
            guard rollout == id else { return RolloutOutput() }
            return active.machine.checkFinished(check, outcome, now: now)
        case .rolledBack(let rollout, let cluster, let result):
            guard rollout == id else { return RolloutOutput() }
            return active.machine.rolledBack(cluster: cluster, result, now: now)
        }
    }

    func perform(_ action: RolloutAction, _ active: Active, _ mailbox: Mailbox<Event>) {
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
        switch action {
        case .plan(let clusters):
            Task { let (outcomes, pairs) = await effects.plan(clusters); await mailbox.put(.planned(id, outcomes, pairs)) }
        case .apply(let cluster, let addon, let attempt):
            let planned = pair(cluster, addon), hold = steps(cluster, addon) > 1
            Task {
                // After a restart the plan is made again: a pair recorded has nothing to do.
                var target = planned
                if target == nil { target = await effects.plan([cluster]).pairs[cluster]?.first { $0.addon == addon } }
                let result: StepResult = if let target { await effects.apply(target, holdPartitions: hold) } else { .ok }
                await mailbox.put(.applied(id, cluster: cluster, addon: addon, attempt: attempt, result))
            }
        case .setPartition(let cluster, let addon, let attempt, let step):
            let planned = pair(cluster, addon)
            Task {
                var target = planned
                if target == nil { target = await effects.plan([cluster]).pairs[cluster]?.first { $0.addon == addon } }
                let result: StepResult = if let target { await effects.setPartition(target, step: step) } else { .ok }
                await mailbox.put(.partitionSet(id, cluster: cluster, addon: addon, attempt: attempt, step: step, result))
            }
        case .readStatus(let cluster, let addon, let attempt, let step):
            let planned = pair(cluster, addon), count = steps(cluster, addon)
            Task {
                var target = planned
                if target == nil { target = await effects.plan([cluster]).pairs[cluster]?.first { $0.addon == addon } }
                let observation: StatusObservation = if let target { await effects.status(target, step: step, steps: count) }
                    else { .progress(complete: true, detail: "nothing to wait for") }
                await mailbox.put(.status(id, cluster: cluster, addon: addon, attempt: attempt, step: step, observation))
            }
        case .runCheck(let check):
            Task { await mailbox.put(.check(id, check, await checks.run(check, context))) }
        case .rollback(let cluster, let base):
            Task { await mailbox.put(.rolledBack(id, cluster: cluster, await effects.rollback(cluster, to: base))) }
        }
    }

    func log(_ event: HistoryEvent) {
        // `at` is the rollout's time (virtual or scaled), not the wall clock's.
        var metadata: Logger.Metadata = ["kind": .string(event.kind.rawValue), "at": .string(event.at.formatted(.iso8601))]
        if let cluster = event.cluster { metadata["cluster"] = .string(cluster) }
        if let addon = event.addon { metadata["addon"] = .string(addon) }
        if let commit = event.commit { metadata["commit"] = .string(String(commit.prefix(12))) }
        logger.info("\(event.detail)", metadata: metadata)
    }
}
