import Foundation
import SluiceCore

/// Failures beyond the budget, rollbacks, halts and pauses: how a rollout stops and goes on.
extension RolloutMachine {
    /// Failures beyond the budget and nothing in flight: roll back or halt.
    mutating func afterFailureBudget(_ now: Date, _ out: inout RolloutOutput) {
        if state.currentStage?.rollbackOnFailure == true, state.baseCommit != nil, state.clusters.contains(where: \.touched) {
            move(to: .rollingBack)
            requestRollbacks(now, &out)
            return
        }
        halt(now, &out)
    }

    mutating func requestRollbacks(_ now: Date, _ out: inout RolloutOutput) {
        guard state.baseCommit != nil else { return }
        for c in state.clusters.indices where state.clusters[c].touched && state.clusters[c].phase != .rolledBack
            && state.clusters[c].phase != .rollingBack && !state.clusters[c].rollbackRequested {
            state.clusters[c].rollbackRequested = true
            out.actions.append(.planRollback(cluster: state.clusters[c].name))
        }
    }

    /// A cluster's rollback is over: every pair recorded at the base, or one failed.
    mutating func rollbackEnded(_ c: Int, failure: String?, _ now: Date, _ out: inout RolloutOutput) {
        let base = state.baseCommit ?? "?", name = state.clusters[c].name
        state.clusters[c].phase = .rolledBack
        if let failure {
            note(&out, now, .rollbackFailed(to: base, reason: failure), cluster: name)
        } else {
            note(&out, now, .rolledBack(to: base), cluster: name)
        }
    }

    /// The commit a cluster's pairs are applied and recorded at: the base while it rolls back.
    func commit(of c: Int) -> String {
        state.clusters[c].phase == .rollingBack ? state.baseCommit ?? state.commit : state.commit
    }

    mutating func halt(_ now: Date, _ out: inout RolloutOutput) {
        let reason = state.halt ?? .recorded("failures beyond maxFailures")
        state.position = .halted(state.step ?? .applying, reason: reason)
        note(&out, now, .halted(reason: reason))
    }

    mutating func resumeHalted(_ now: Date, _ out: inout RolloutOutput) {
        guard case .halted(var step, _) = state.position else { return }
        if step == .rollingBack || step == .postChecks { step = .applying }
        state.position = .running(step)
        state.stageFailures = 0
        state.checks = step == .applying ? [] : state.checks
        for c in state.clusters.indices {
            switch state.clusters[c].phase {
            case .failed, .rolledBack:
                state.clusters[c] = ClusterProgress(name: state.clusters[c].name, phase: .queued)
                state.planning.append(state.clusters[c].name)
            default: break
            }
        }
        let names = state.planning
        if !names.isEmpty { out.actions.append(.plan(clusters: names)) }
    }

    /// A pause asked for takes effect here, at a batch boundary, before anything of the batch is applied.
    mutating func applyPause(_ now: Date, _ out: inout RolloutOutput) -> Bool {
        guard let reason = state.pauseRequested else { return false }
        state.pauseRequested = nil
        state.position = .paused(state.step ?? .planning, reason: reason)
        state.replanBeforeApply = true
        note(&out, now, .paused(batch: state.batch + 1, stage: stageName, reason: reason))
        return true
    }
}
