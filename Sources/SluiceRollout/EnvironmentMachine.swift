import Foundation
import SluiceCore

/// What a runner decides about its environment apart from the rollout itself, without I/O
/// (`RolloutMachine` decides inside a rollout): which head to act on and how, where an
/// operator command goes, what a failing store means, and when the environment is idle.
/// The runner reads the branch, the store and the repo, asks, and performs the answer.
struct EnvironmentMachine: Sendable, Equatable {
    var environment: String
    /// `--until-idle`: return once nothing can move by itself.
    var untilIdle = false
    /// The newest head found invalid: not validated again until the branch moves.
    private(set) var lastRejected: String?
    private var missingBranchReported = false

    init(environment: String, untilIdle: Bool = false) {
        self.environment = environment
        self.untilIdle = untilIdle
    }

    /// What the rollout under way looks like to these decisions.
    struct Rollout: Sendable, Equatable {
        var commit: String
        var phase: RolloutPhase
        var supersededBy: String?
        var isHeld = false
        var isOnlyWaitingForSkipped = false
        var isOnlyWaitingForUnreachable = false
    }

    /// What to do about the branch head the runner just read.
    enum HeadAction: Sendable, Equatable {
        case none
        /// The branch does not exist (said once).
        case reportMissingBranch
        /// A newer head while a rollout runs: validate it; if valid, the rollout is superseded
        /// by it (`RolloutMachine.newHead`); if not, it is rejected.
        case validateNewer(String)
        /// No rollout runs: start one of `head` unless the store's newest rollout is of it
        /// already (the runner asks the store only then).
        case startUnlessStored(String)
        /// A correction of drift runs and the head is another commit: the correction gives
        /// way (nothing new starts), and the head is started once it is over.
        case stopCorrecting
    }

    /// `correcting`: the commit a correction of drift under way applies.
    mutating func headRead(_ head: String?, rollout: Rollout?, correcting: String? = nil) -> HeadAction {
        guard let head else {
            if missingBranchReported { return .none }
            missingBranchReported = true
            return .reportMissingBranch
        }
        guard head != lastRejected else { return .none }
        if let correcting { return head == correcting ? .none : .stopCorrecting }
        if let rollout, !rollout.phase.isFinal {
            return head != rollout.commit && head != rollout.supersededBy ? .validateNewer(head) : .none
        }
        return .startUnlessStored(head)
    }

    /// Whether a head the store's newest rollout may already be of needs a rollout:
    /// `stored` is that rollout's commit (nil: none). A superseded rollout hands over to the
    /// head at once, whatever the store says.
    func needsStart(_ head: String, rollout: Rollout?, stored: String?) -> Bool {
        rollout?.phase == .superseded || stored != head
    }

    /// The head did not validate: it is not tried again until the branch moves.
    mutating func rejected(_ head: String) { lastRejected = head }

    /// The newest rejection the store holds (read at start and after the store came back).
    mutating func restored(lastRejected: String?) { self.lastRejected = lastRejected }

    /// Where an operator command goes: the rollout under way, or nowhere (said in the history).
    enum CommandRoute: Sendable, Equatable {
        case rollout
        case ignored(HistoryEvent)
    }

    func route(_ command: OperatorCommand, rollout: Rollout?, now: Date) -> CommandRoute {
        if let rollout, !rollout.phase.isFinal { return .rollout }
        return .ignored(HistoryEvent(at: now, kind: .operatorAction, environment: environment,
                                     detail: "\(command.verb.rawValue) by \(command.user): no rollout is under way",
                                     outcome: .operatorCommandIgnored))
    }

    /// What a failing store leaves the runner to do.
    enum TroubleAction: Sendable, Equatable {
        /// Return (`--until-idle`): the store cannot be relied on.
        case giveUp
        /// Stop acting on the environment; wait to be stopped (a damaged store is restored by
        /// an operator, then sluice restarted).
        case stopActing
        /// Read the rollout under way again at this time.
        case retry(at: Date)
    }

    func onTrouble(_ trouble: StoreTrouble) -> TroubleAction {
        // `--until-idle` gives up on a store that has failed 10 times in a row (8.5 minutes of
        // backoff): under virtual time waiting would only spin.
        if trouble.permanent || (untilIdle && trouble.failures >= 10) { return untilIdle ? .giveUp : .stopActing }
        return .retry(at: trouble.retryAt)
    }

    /// Whether nothing can move by itself, and how the environment stands; nil when
    /// something still can. `stored`: the commit of the store's newest rollout, asked only
    /// when no rollout runs (`.some(nil)`: there is none; nil: the store could not say, so
    /// not idle).
    func idleOutcome(head: String?, rollout: Rollout?, stored: String??) -> EnvironmentRunner.Outcome? {
        if let head, head == lastRejected { return .rejected }
        guard let rollout else {
            if head == nil { return .noBranch }
            guard let stored else { return nil }
            return stored == head ? .converged : nil
        }
        if head != nil && head != rollout.commit && rollout.phase != .halted { return nil }
        switch rollout.phase {
        case .done: return .converged
        case .halted: return .halted
        case .rejected: return .rejected
        case .paused, .awaitingApproval: return .waitingForOperator
        case .superseded: return nil
        case .running:
            if rollout.isHeld { return .waitingForOperator }
            // Skipped clusters catch up when back: the rollout itself is done.
            if rollout.isOnlyWaitingForSkipped { return .converged }
            return rollout.isOnlyWaitingForUnreachable ? .waitingForClusters : nil
        }
    }
}

extension RolloutState {
    /// This state as the environment's decisions see it.
    var forEnvironment: EnvironmentMachine.Rollout {
        EnvironmentMachine.Rollout(commit: commit, phase: phase, supersededBy: supersededBy, isHeld: isHeld,
                                   isOnlyWaitingForSkipped: isOnlyWaitingForSkipped, isOnlyWaitingForUnreachable: isOnlyWaitingForUnreachable)
    }
}
