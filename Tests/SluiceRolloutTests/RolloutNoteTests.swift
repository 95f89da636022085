import Foundation
import SluiceCore
@testable import SluiceRollout
import Testing

/// What happened comes out of the machine typed; the runner makes the history event (its
/// kind, outcome and text) from it.
@Suite struct RolloutNoteTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theMachineSaysWhatHappenedAsValues() {
        var m = RolloutMachine(state: RolloutState(id: "r", environment: "prod", commit: "new", baseCommit: nil,
                                                   blueprint: RolloutBlueprint(stages: [RolloutBlueprint.Stage(name: "s", batches: [["a"]])]), now: t0))
        let started = m.start(now: t0)
        #expect(started.notes.map(\.note) == [.rolloutStarted(clusters: 1, stages: 1), .batchStarted(stage: "s", batch: 1, batches: 1, clusters: ["a"])])
        #expect(started.notes.allSatisfy { $0.commit == "new" && $0.at == t0 })
        _ = m.planned(["a": .planned([PairPlan(addon: "dns", digest: "d")])], now: t0)
        let command = OperatorCommand(id: 4, environment: "prod", verb: .pause, user: "alice", reason: "incident", at: t0)
        let paused = m.command(command, now: t0)
        // Asked before the batch's checks: it takes effect at once, at this batch boundary.
        #expect(paused.notes.map(\.note) == [.pauseAsked(RolloutNote.Operator(user: "alice", reason: "incident")),
                                              .paused(batch: 1, stage: "s", reason: .asked(user: "alice", reason: "incident"))])
        #expect(paused.history.isEmpty)
    }

    @Test func theRunnerMakesTheHistoryEventFromANote() {
        let noted = RolloutNoted(at: t0, commit: "0123456789abcdef", cluster: "a", addon: "dns",
                                 note: .healthExpired(.noProgress(seconds: 300), detail: "Deployment/dns 1/3 updated and ready"))
        let event = noted.event(environment: "prod")
        #expect(event.kind == .apply && event.outcome == .healthNoProgress && event.environment == "prod")
        #expect(event.cluster == "a" && event.addon == "dns" && event.commit == "0123456789abcdef" && event.at == t0)
        let who = RolloutNote.Operator(user: "bob", reason: "")
        #expect(RolloutNote.nothingToApprove(who).kind == .operatorAction && RolloutNote.nothingToApprove(who).outcome == .operatorCommandIgnored)
        #expect(RolloutNote.supersedeAsked(by: "x").outcome == .superseded && RolloutNote.checkHolds(CheckID(name: "f", phase: .pre, cluster: nil), detail: "").kind == .check)
    }
}
