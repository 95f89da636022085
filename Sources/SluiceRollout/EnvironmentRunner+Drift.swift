import Foundation
import SluiceCore
import SluiceModel
import SluicePlan
import SluiceStore

/// A re-sync performed: the look for drift as an action, its answer reported, and a
/// correction (`DirectApply`) driven like a rollout: its actions performed in tasks,
/// their answers fed back, its records and marks written before what they guard.
extension EnvironmentRunner {
    /// A correction under way and what its actions need.
    struct Correcting {
        var machine: DirectApply
        var found: DriftDetection.Found
        var effects: RolloutEffects
        /// The drifted pairs' plans, by `cluster/addon`.
        var planned: [String: PlannedPair]
    }

    /// What one step of the loop writes about drift (with the rest of the step, in one transaction).
    struct DriftStep {
        var output = DirectApply.Output()
        var history: [HistoryEvent] = []
        var findings: DriftReplacement?

        mutating func merge(_ other: DriftStep) {
            output.merge(other.output)
            history += other.history
            findings = other.findings ?? findings
        }
    }

    func detectDrift(_ mailbox: Mailbox<Event>, _ tasks: ActionTasks) {
        let detection = DriftDetection(environment: environment, watcher: watcher, store: store, connector: connector, clock: clock,
                                       loader: loader, mirror: options.records)
        tasks.start { await mailbox.put(.driftDetected(await detection.run())) }
    }

    /// An answer about drift, handled; nil for an event of the rollout.
    func handleDrift(_ event: Event, _ correcting: inout Correcting?, rollout: RolloutState?, now: Date) -> DriftStep? {
        var step = DriftStep()
        switch event {
        case .driftDetected(.found(let found)):
            // A rollout started while the look was under way: what it saw is not the environment's now.
            guard rollout.map({ $0.phase == .done && $0.commit == found.commit }) ?? true else { return step }
            if found.correct, !found.drifted.isEmpty, correcting == nil {
                var effects = RolloutEffects(environment: environment, commit: found.commit, gitPath: found.gitPath, repository: found.repository,
                                             store: store, connector: connector, clock: clock, loader: loader, mirror: options.records)
                effects.lease = lease
                var machine = DirectApply(environment: environment, commit: found.commit, pairs: found.drifted.map(effects.directPair),
                                          pollSeconds: options.pollSeconds)
                step.output = machine.start(now: now)
                let planned = Dictionary(found.drifted.map { ("\($0.cluster)/\($0.addon)", $0) }, uniquingKeysWith: { a, _ in a })
                correcting = Correcting(machine: machine, found: found, effects: effects, planned: planned)
            } else {
                step = report(found, endings: [:], now: now)
            }
        case .driftDetected(.failed(let commit, let reason, let at)):
            // The earlier findings stand: a look that failed found nothing either way.
            step.history.append(HistoryEvent(at: at, kind: .drift, environment: environment, commit: commit,
                                             detail: "re-sync could not plan: \(reason)", outcome: .driftResyncFailed))
        case .driftDetected(.skipped(let why)):
            logger.warning("re-sync skipped: \(why)")
        case .driftDetected(.nothingToCompare):
            break
        case .drift(let answer):
            if correcting != nil { step.output = correcting!.machine.answered(answer, now: now) }
        default:
            return nil
        }
        return step
    }

    /// Due status reads of the correction, and its report once every pair has ended.
    func driftTimers(_ correcting: inout Correcting?, now: Date) -> DriftStep {
        guard var current = correcting else { return DriftStep() }
        var step = DriftStep()
        if let wake = current.machine.wakeAt, wake <= now { step.output = current.machine.timerFired(now: now) }
        correcting = current
        if current.machine.isOver {
            let endings = Dictionary(current.machine.pairs.compactMap { pair -> (String, DirectApply.Ending)? in
                guard case .ended(let ending) = pair.phase else { return nil }
                return ("\(pair.cluster)/\(pair.addon)", ending)
            }, uniquingKeysWith: { a, _ in a })
            step.merge(report(current.found, endings: endings, now: now))
            correcting = nil
        }
        return step
    }

    /// The findings that stand (drift not corrected) and a history event per drifted pair.
    private func report(_ found: DriftDetection.Found, endings: [String: DirectApply.Ending], now: Date) -> DriftStep {
        var step = DriftStep()
        var findings: [DriftFinding] = []
        for pair in found.drifted {
            let key = "\(pair.cluster)/\(pair.addon)"
            var detail = found.details[key] ?? ""
            let ending = endings[key]
            if ending == .applied {
                step.history.append(HistoryEvent(at: now, kind: .drift, environment: environment, cluster: pair.cluster, addon: pair.addon,
                                                 commit: found.commit, detail: "drift corrected: \(detail)", outcome: .driftCorrected))
                continue
            }
            if let ending { detail += " (not corrected: \(Self.why(ending)))" }
            findings.append(DriftFinding(cluster: pair.cluster, addon: pair.addon, commit: found.commit, detail: detail, at: found.at, corrected: false))
            step.history.append(HistoryEvent(at: now, kind: .drift, environment: environment, cluster: pair.cluster, addon: pair.addon,
                                             commit: found.commit, detail: "drift (live objects differ from \(found.commit.prefix(12))): \(detail)",
                                             outcome: .driftFound))
        }
        step.findings = DriftReplacement(environment: environment, findings: findings)
        return step
    }

    private static func why(_ ending: DirectApply.Ending) -> String {
        switch ending {
        case .applied: return "corrected"
        case .failed(let failure): return failure.detail
        case .unhealthy(let expiry, let detail): return "\(expiry): \(detail)"
        case .skipped(let addon): return "add-on \(addon) before it was not corrected"
        case .gaveWay: return "a newer commit is rolled out instead"
        }
    }

    func perform(_ action: DirectApply.Action, _ correcting: Correcting, _ mailbox: Mailbox<Event>, _ tasks: ActionTasks) {
        let effects = correcting.effects
        let pair = correcting.planned["\(action.pair.cluster)/\(action.pair.addon)"]
        tasks.start { await mailbox.put(await effects.perform(action, pair).map { .drift($0) } ?? .leaseLost) }
    }
}
