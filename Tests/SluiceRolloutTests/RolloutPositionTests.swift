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
            (["phase": "running", "step": applying, "halting": true, "haltReason": "2 failed"], .halting(.applying, reason: "2 failed")),
            (["phase": "running", "step": applying, "halting": true, "haltReason": "2 failed", "supersededBy": "newer"],
             .superseding(.applying, by: "newer", halt: "2 failed")),
            (["phase": "awaitingApproval", "step": ["awaitingApproval": [:]]], .awaitingApproval),
            (["phase": "paused", "step": ["preChecks": [:]], "pauseReason": "paused by alice"], .paused(.preChecks, reason: "paused by alice")),
            (["phase": "halted", "step": ["rollingBack": [:]], "haltReason": "1 failed"], .halted(.rollingBack, reason: "1 failed")),
            (["phase": "done", "step": ["finished": [:]]], .done),
            (["phase": "superseded", "step": applying, "supersededBy": "newer", "haltReason": "1 failed"], .superseded(by: "newer", halt: "1 failed")),
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
            .running(.baking(until: t0)), .halting(.postChecks, reason: "r"), .superseding(.applying, by: "n", halt: nil), .awaitingApproval,
            .paused(.planning, reason: "p"), .halted(.applying, reason: "h"), .done, .superseded(by: "n", halt: "h"), .rejected,
        ]
        for position in positions {
            s.position = position
            #expect(try RolloutState.decode(try s.record()).position == position)
        }
        s.position = .halted(.rollingBack, reason: "h")
        #expect(s.phase == .halted && s.step == .rollingBack && s.haltReason == "h" && !s.isHalting && s.supersededBy == nil)
        s.position = .superseded(by: "n", halt: "h")
        #expect(s.phase == .superseded && s.step == nil && s.haltReason == "h" && s.supersededBy == "n")
        s.position = .awaitingApproval
        #expect(s.phase == .awaitingApproval && s.step == nil && s.haltReason == nil)
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
        var resumed = m
        _ = resumed.command(OperatorCommand(id: 1, environment: "prod", verb: .resume, user: "a", reason: "", at: t0), now: t0)
        #expect(resumed.state.position == .running(.applying))
        _ = m.newHead("revert", now: t0)
        #expect(m.state.position == .superseded(by: "revert", halt: reason))
    }
}
