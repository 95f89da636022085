import Foundation
import SluiceCore
import SluiceRollout
import SluiceStore
import Testing

/// The rollout's position is one value: the facts that were separate fields (phase, step,
/// halting, halt and pause reasons, a newer head) cannot disagree. States written by the
/// previous format read as the position they meant.
@Suite struct RolloutPositionTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let budget = HaltReason.failureBudget(stage: "canary", failed: 2, allowed: 1, first: "c1",
                                                 why: .addon("dns", .health(.noProgress(seconds: 300), detail: "0/2 ready")))

    func state() -> RolloutState {
        RolloutState(id: "r", environment: "prod", commit: "new", baseCommit: "old",
                     blueprint: RolloutBlueprint(stages: [RolloutBlueprint.Stage(name: "s", batches: [["a"]])]), now: t0)
    }

    /// A format 1 record: today's state without `position`, with the older fields instead.
    func legacy(_ fields: [String: Any]) throws -> RolloutRecord {
        var record = try state().record()
        var object = try #require(try JSONSerialization.jsonObject(with: Data(record.state)) as? [String: Any])
        object["position"] = nil
        for (key, value) in fields { object[key] = value }
        record.state = Array(try JSONSerialization.data(withJSONObject: object))
        record.format = 1
        return record
    }

    @Test func formatOneStatesReadAsThePositionTheyMeant() throws {
        let applying: [String: Any] = ["applying": [:]]
        let cases: [([String: Any], RolloutState.Position)] = [
            (["phase": "running", "step": applying], .running(.applying)),
            (["phase": "running", "step": applying, "halting": true, "haltReason": "2 failed"], .halting(.applying, reason: .recorded("2 failed"))),
            (["phase": "running", "step": applying, "halting": true, "haltReason": "2 failed", "supersededBy": "newer"],
             .superseding(.applying, by: "newer", halt: .recorded("2 failed"))),
            (["phase": "awaitingApproval", "step": ["awaitingApproval": [:]]], .awaitingApproval),
            (["phase": "paused", "step": ["preChecks": [:]], "pauseReason": "paused by alice"], .paused(.preChecks, reason: .recorded("paused by alice"))),
            (["phase": "halted", "step": ["rollingBack": [:]], "haltReason": "1 failed"], .halted(.rollingBack, reason: .recorded("1 failed"))),
            (["phase": "done", "step": ["finished": [:]]], .done),
            (["phase": "superseded", "step": applying, "supersededBy": "newer", "haltReason": "1 failed"], .superseded(by: "newer", halt: .recorded("1 failed"))),
            (["phase": "rejected", "step": ["finished": [:]]], .rejected),
        ]
        for (fields, position) in cases {
            let decoded = try RolloutState.decode(try legacy(fields))
            #expect(decoded.position == position, "\(fields)")
        }
    }

    @Test func aPositionRoundTripsAndTheReadersAgreeWithIt() throws {
        var s = state()
        let positions: [RolloutState.Position] = [
            .running(.baking(until: t0)), .halting(.postChecks, reason: Self.budget), .superseding(.applying, by: "n", halt: nil), .awaitingApproval,
            .paused(.planning, reason: .asked(user: "alice", reason: "incident")), .halted(.applying, reason: .recorded("h")), .done,
            .superseded(by: "n", halt: Self.budget), .paused(.planning, reason: .recorded("p")), .rejected,
        ]
        for position in positions {
            s.position = position
            #expect(try RolloutState.decode(try s.record()).position == position)
        }
        s.position = .halted(.rollingBack, reason: .recorded("h"))
        #expect(s.phase == .halted && s.step == .rollingBack && s.haltReason == "h" && !s.isHalting && s.supersededBy == nil)
        s.position = .superseded(by: "n", halt: .recorded("h"))
        #expect(s.phase == .superseded && s.step == nil && s.haltReason == "h" && s.supersededBy == "n")
        s.position = .awaitingApproval
        #expect(s.phase == .awaitingApproval && s.step == nil && s.haltReason == nil)
        // The typed reason's text, for people, is what it said as text before.
        s.position = .halted(.applying, reason: Self.budget)
        #expect(s.haltReason == "stage canary: 2 failed clusters, more than maxFailures 1; first: c1: add-on dns: no pod became updated and ready for 300s (health.timeout): 0/2 ready")
    }

    /// A halted rollout that a newer head supersedes keeps why it halted, so that a revert of
    /// it can be fast-tracked; a resume goes on where it halted.
    @Test func aHaltIsRememberedWhenSupersededAndAResumeGoesOnWhereItHalted() {
        var m = RolloutMachine(state: state(), pollSeconds: 5)
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([PairPlan(addon: "dns", digest: "d")])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        _ = m.applied(cluster: "a", addon: "dns", attempt: 1, .failed(ActionFailure(.rejected, "bad image")), now: t0)
        guard case .halted(.applying, let reason) = m.state.position else { Issue.record("not halted: \(m.state.position)"); return }
        #expect(reason == .failureBudget(stage: "s", failed: 1, allowed: 0, first: "a", why: .addon("dns", .action(ActionFailure(.rejected, "bad image")))))
        var resumed = m
        _ = resumed.command(OperatorCommand(id: 1, environment: "prod", verb: .resume, user: "a", reason: "", at: t0), now: t0)
        #expect(resumed.state.position == .running(.applying))
        _ = m.newHead("revert", now: t0)
        #expect(m.state.position == .superseded(by: "revert", halt: reason))
    }

    /// A format 2 state wrote its reasons and a rejection's errors as text: they read as
    /// recorded text, and say what they said.
    @Test func formatTwoStatesKeepTheirTexts() throws {
        var s = state()
        s.position = .halted(.applying, reason: .recorded("stage s: 1 failed cluster"))
        var record = try s.record()
        record.format = 2
        #expect(try RolloutState.decode(record).haltReason == "stage s: 1 failed cluster")
        s.position = .rejected
        record = try s.record()
        var object = try #require(try JSONSerialization.jsonObject(with: Data(record.state)) as? [String: Any])
        object["waitingFor"] = "sluice.yaml:3:1: unknown field"
        record.state = Array(try JSONSerialization.data(withJSONObject: object))
        record.format = 2
        let rejected = try RolloutState.decode(record)
        #expect(rejected.rejection == ["sluice.yaml:3:1: unknown field"] && rejected.waitingFor == "sluice.yaml:3:1: unknown field")
    }

    /// What it waits for is made from the state, for each position.
    @Test func whatItWaitsForIsMadeFromTheState() {
        var s = state()
        s.position = .awaitingApproval
        #expect(s.waitingFor == "approval of stage s (sluice approve prod)")
        s.position = .paused(.planning, reason: .asked(user: "alice", reason: "incident"))
        #expect(s.waitingFor == "paused by alice: incident (sluice resume prod)")
        s.position = .halted(.applying, reason: Self.budget)
        #expect(s.waitingFor == "halted: sluice resume prod, or a newer commit")
        s.position = .running(.baking(until: t0))
        #expect(s.waitingFor == "bake after batch 1 of stage s")
        s.position = .running(.preChecks)
        var held = CheckProgress(id: CheckID(name: "freeze", phase: .pre, cluster: nil), status: .waiting)
        held.detail = "frozen by bob"
        s.checks = [held, CheckProgress(id: CheckID(name: "smoke", phase: .pre, cluster: "a"), status: .passed)]
        #expect(s.waitingFor == "freeze: frozen by bob")
        s.checks = []
        #expect(s.waitingFor == "pre-checks of batch 1")
        s.position = .running(.applying)
        s.clusters = [ClusterProgress(name: "a", phase: .done),
                      ClusterProgress(name: "b", phase: .unreachable(since: t0, reason: "connection refused", retryAt: t0))]
        #expect(s.waitingFor == "unreachable: b since 2027-01-15T08:00:00Z (connection refused)")
        s.clusters.append(ClusterProgress(name: "c", phase: .applying))
        #expect(s.waitingFor == "batch 1 of stage s: 1 of 3 clusters done")
        s.position = .running(.rollingBack)
        #expect(s.waitingFor == "rollback of batch 1 to old")
        s.position = .done
        #expect(s.waitingFor == nil)
    }
}
