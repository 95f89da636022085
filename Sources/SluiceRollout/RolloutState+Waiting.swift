import Foundation

extension RolloutState {
    /// What the rollout waits for, for people (`status`, the live view): made from the state
    /// when it is asked for, so the machine keeps no text (and builds none per answer).
    public var waitingFor: String? {
        let batch = "batch \(self.batch + 1)", stageName = currentStage?.name ?? "-"
        switch position {
        case .rejected: return rejection.isEmpty ? nil : rejection.joined(separator: "\n")
        case .done, .superseded: return nil
        case .awaitingApproval: return "approval of stage \(stageName) (sluice approve \(environment))"
        case .paused(_, let reason): return "\(reason) (sluice resume \(environment))"
        case .halted: return "halted: sluice resume \(environment), or a newer commit"
        case .running(let step), .halting(let step, _), .superseding(let step, _, _):
            switch step {
            case .planning: return "plan of \(batch)"
            case .preChecks, .postChecks:
                let waiting = checks.filter { $0.status == .waiting }.map { "\($0.id.name): \($0.detail ?? "")" }
                return waiting.isEmpty ? "\(step == .preChecks ? "pre" : "post")-checks of \(batch)" : waiting.joined(separator: "; ")
            case .baking: return "bake after \(batch) of stage \(stageName)"
            case .rollingBack: return "rollback of \(batch) to \((baseCommit ?? "").prefix(12))"
            case .applying, .catchingUp: return applyingText(batch: batch, stageName: stageName)
            }
        }
    }

    private func applyingText(batch: String, stageName: String) -> String {
        let unfinished = clusters.filter { !$0.isFinished }
        let unreachable = unfinished.compactMap { cluster -> String? in
            guard case .unreachable(let since, let reason, _) = cluster.phase else { return nil }
            return "\(cluster.name) since \(since.formatted(.iso8601)) (\(reason))"
        }
        if !unreachable.isEmpty && unreachable.count == unfinished.count { return "unreachable: " + unreachable.joined(separator: "; ") }
        let done = clusters.filter { $0.phase == .done }.count
        return "\(batch) of stage \(stageName): \(done) of \(clusters.count) clusters done"
    }
}
