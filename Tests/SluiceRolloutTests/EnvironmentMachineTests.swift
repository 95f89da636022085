import Foundation
import SluiceCore
@testable import SluiceRollout
import Testing

/// The environment's decisions without I/O: heads, rejection, supersede, commands with no
/// rollout, a failing store, idle.
@Suite struct EnvironmentMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func rollout(_ commit: String, _ phase: RolloutPhase, supersededBy: String? = nil) -> EnvironmentMachine.Rollout {
        EnvironmentMachine.Rollout(commit: commit, phase: phase, supersededBy: supersededBy)
    }

    @Test func aMissingBranchIsSaidOnce() {
        var machine = EnvironmentMachine(environment: "prod")
        #expect(machine.headRead(nil, rollout: nil) == .reportMissingBranch)
        #expect(machine.headRead(nil, rollout: nil) == EnvironmentMachine.HeadAction.none)
    }

    @Test func aNewerHeadUnderARunningRolloutIsValidatedOnceAndARejectedOneNotAgain() {
        var machine = EnvironmentMachine(environment: "prod")
        let running = rollout("a", .running)
        #expect(machine.headRead("a", rollout: running) == EnvironmentMachine.HeadAction.none)
        #expect(machine.headRead("b", rollout: running) == .validateNewer("b"))
        // Superseded by b already: nothing more to do about b.
        #expect(machine.headRead("b", rollout: rollout("a", .running, supersededBy: "b")) == EnvironmentMachine.HeadAction.none)
        machine.rejected("c")
        #expect(machine.headRead("c", rollout: running) == EnvironmentMachine.HeadAction.none)
        #expect(machine.headRead("c", rollout: nil) == EnvironmentMachine.HeadAction.none)
        // The branch moves: the next head is looked at.
        #expect(machine.headRead("d", rollout: running) == .validateNewer("d"))
    }

    @Test func aCorrectionOfDriftGivesWayToAnotherHeadOnly() {
        var machine = EnvironmentMachine(environment: "prod")
        #expect(machine.headRead("a", rollout: rollout("a", .done), correcting: "a") == EnvironmentMachine.HeadAction.none)
        #expect(machine.headRead("b", rollout: rollout("a", .done), correcting: "a") == .stopCorrecting)
        // Once it is over, the head starts as usual.
        #expect(machine.headRead("b", rollout: rollout("a", .done), correcting: nil) == .startUnlessStored("b"))
    }

    @Test func withNoRolloutUnderWayAHeadStartsUnlessTheStoreHasItsRolloutAlready() {
        var machine = EnvironmentMachine(environment: "prod")
        #expect(machine.headRead("a", rollout: rollout("a", .done)) == .startUnlessStored("a"))
        #expect(!machine.needsStart("a", rollout: rollout("a", .done), stored: "a"))
        #expect(machine.needsStart("b", rollout: rollout("a", .done), stored: "a"))
        #expect(machine.needsStart("a", rollout: nil, stored: nil))
        // A superseded rollout hands over to its head, whatever the store says.
        #expect(machine.needsStart("b", rollout: rollout("a", .superseded), stored: "b"))
    }

    @Test func aCommandWithNoRolloutUnderWayIsIgnoredAndSaidSo() {
        let machine = EnvironmentMachine(environment: "prod")
        let command = OperatorCommand(id: 3, environment: "prod", verb: .resume, user: "alice", reason: "", at: t0)
        #expect(machine.route(command, rollout: rollout("a", .halted), now: t0) == .rollout)
        guard case .ignored(let event) = machine.route(command, rollout: rollout("a", .done), now: t0) else {
            Issue.record("a command with no rollout under way went to a rollout")
            return
        }
        #expect(event.outcome == .operatorCommandIgnored && event.environment == "prod")
        if case .rollout = machine.route(command, rollout: nil, now: t0) { Issue.record("no rollout, routed to one") }
    }

    @Test func aDamagedStoreStopsTheEnvironmentAndUntilIdleGivesUpAfterTenFailures() {
        let serving = EnvironmentMachine(environment: "prod")
        let idle = EnvironmentMachine(environment: "prod", untilIdle: true)
        let damaged = StoreTrouble(reason: "corrupt", permanent: true, failures: 1, retryAt: t0)
        #expect(serving.onTrouble(damaged) == .stopActing)
        #expect(idle.onTrouble(damaged) == .giveUp)
        var trouble: StoreTrouble?
        for _ in 0..<9 { trouble = StoreTrouble.after(trouble, reason: "busy", permanent: false, now: t0) }
        #expect(idle.onTrouble(trouble!) == .retry(at: trouble!.retryAt))
        trouble = StoreTrouble.after(trouble, reason: "busy", permanent: false, now: t0)
        #expect(idle.onTrouble(trouble!) == .giveUp)
        #expect(serving.onTrouble(trouble!) == .retry(at: trouble!.retryAt))
    }

    @Test func idleOutcomes() {
        var machine = EnvironmentMachine(environment: "prod", untilIdle: true)
        #expect(machine.idleOutcome(head: nil, rollout: nil, stored: .some(nil)) == .noBranch)
        #expect(machine.idleOutcome(head: "a", rollout: nil, stored: .some("a")) == .converged)
        // The store could not say: not idle.
        #expect(machine.idleOutcome(head: "a", rollout: nil, stored: nil) == nil)
        #expect(machine.idleOutcome(head: "b", rollout: nil, stored: .some("a")) == nil)
        #expect(machine.idleOutcome(head: "a", rollout: rollout("a", .done), stored: nil) == .converged)
        #expect(machine.idleOutcome(head: "a", rollout: rollout("a", .awaitingApproval), stored: nil) == .waitingForOperator)
        // A halted rollout is idle even with a newer head on the branch (it waits for it).
        #expect(machine.idleOutcome(head: "b", rollout: rollout("a", .halted), stored: nil) == .halted)
        #expect(machine.idleOutcome(head: "b", rollout: rollout("a", .running), stored: nil) == nil)
        var waiting = rollout("a", .running)
        waiting.isOnlyWaitingForUnreachable = true
        #expect(machine.idleOutcome(head: "a", rollout: waiting, stored: nil) == .waitingForClusters)
        waiting.isHeld = true
        #expect(machine.idleOutcome(head: "a", rollout: waiting, stored: nil) == .waitingForOperator)
        machine.rejected("c")
        #expect(machine.idleOutcome(head: "c", rollout: rollout("a", .done), stored: nil) == .rejected)
    }
}
