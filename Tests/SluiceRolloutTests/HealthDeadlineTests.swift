import Foundation
import SluiceRollout
import SluiceCore
import SluiceStore
import Testing

/// `health.timeout` is a progress deadline (Kubernetes' `progressDeadlineSeconds`), and
/// `health.deadline` an optional bound on a whole step, in the machine and in `apply`.
@Suite(.timeLimit(.minutes(10))) struct HealthDeadlineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    func applying(timeout: Double = 60, deadline: Double? = nil, steps: Int = 1) -> RolloutMachine {
        let stage = RolloutBlueprint.Stage(name: "s", batches: [["a"]], maxFailures: 0)
        var m = RolloutMachine(state: RolloutState(id: "r", environment: "prod", commit: "new", baseCommit: "old",
                                                   blueprint: RolloutBlueprint(stages: [stage]), now: t0), pollSeconds: 5)
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([PairPlan(addon: "ds", digest: "d", steps: steps, healthTimeoutSeconds: timeout,
                                               healthDeadlineSeconds: deadline)])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        _ = m.applied(cluster: "a", addon: "ds", attempt: 1, .ok, now: t0)
        if steps > 1 { _ = m.partitionSet(cluster: "a", addon: "ds", attempt: 1, step: 0, .ok, now: t0) }
        return m
    }

    func observe(_ m: inout RolloutMachine, ready: Int, of desired: Int, at seconds: Double, step: Int = 0,
                 complete: Bool = false) -> RolloutOutput {
        m.statusObserved(cluster: "a", addon: "ds", attempt: 1, step: step,
                         .progress(complete: complete, detail: "\(ready)/\(desired)", pods: PodCount(ready: ready, desired: desired)),
                         now: at(seconds))
    }

    var pairPhase: (RolloutMachine) -> PairProgress.Phase { { $0.state.clusters[0].pairs[0].phase } }

    /// 60 pods, one every 50 s: 50 minutes in all, ten times the 60 s timeout, and never a failure.
    @Test func aSlowRolloutThatKeepsProgressingIsNeverFailed() {
        var m = applying(timeout: 60)
        var records: [AppliedRecord] = []
        for pod in 1...60 {
            let out = observe(&m, ready: pod, of: 60, at: Double(pod) * 50, complete: pod == 60)
            #expect(!out.notes.contains { $0.outcome == .healthNoProgress || $0.outcome == .pairFailed })
            records += out.records
        }
        #expect(records.map(\.addon) == ["ds"])
        #expect(m.state.phase == .done)
    }

    @Test func aStalledRolloutFailsOneTimeoutAfterItsLastProgress() {
        var m = applying(timeout: 60)
        _ = observe(&m, ready: 10, of: 60, at: 30)
        // The deadline moved to 30 + 60 = 90: a look at 85 with no new pod waits.
        _ = observe(&m, ready: 10, of: 60, at: 85)
        guard case .stepping(_, let deadline) = pairPhase(m) else { Issue.record("not stepping: \(pairPhase(m))"); return }
        #expect(deadline == at(90))
        #expect(m.state.clusters[0].pairs[0].pods == PodCount(ready: 10, desired: 60))
        // A pod that was ready and is no more is not progress either.
        _ = observe(&m, ready: 9, of: 60, at: 88)
        let out = observe(&m, ready: 10, of: 60, at: 90)
        #expect(out.notes.contains { $0.outcome == .healthNoProgress })
        guard case .failed = pairPhase(m) else { Issue.record("not failed: \(pairPhase(m))"); return }
        #expect(m.state.phase == .halted)
    }

    @Test func healthDeadlineBoundsAStepHoweverItProgresses() {
        var m = applying(timeout: 60, deadline: 200)
        var failedAt: Double?
        for pod in 1...60 where failedAt == nil {
            let out = observe(&m, ready: pod, of: 60, at: Double(pod) * 50)
            if out.notes.contains(where: { $0.outcome == .healthDeadline }) { failedAt = Double(pod) * 50 }
        }
        #expect(failedAt == 200)
    }

    @Test func everyPartitionStepHasItsOwnClocks() {
        var m = applying(timeout: 60, deadline: 100, steps: 2)
        _ = observe(&m, ready: 30, of: 30, at: 90, complete: true)
        // Step 2 starts at 90 when its partition is set; its clocks start then, not at 0.
        _ = m.partitionSet(cluster: "a", addon: "ds", attempt: 1, step: 1, .ok, now: at(90))
        #expect(m.state.clusters[0].pairs[0].mostReady == 0)
        #expect(m.state.clusters[0].pairs[0].stepDeadline == at(190))
        let out = observe(&m, ready: 31, of: 60, at: 140, step: 1)
        #expect(out.notes.isEmpty)
        guard case .stepping(1, let deadline) = pairPhase(m) else { Issue.record("not stepping: \(pairPhase(m))"); return }
        #expect(deadline == at(200))
    }

    /// What is judged survives the store: the clocks are part of the durable state.
    @Test func theClocksAreWrittenWithTheClusterRow() throws {
        var m = applying(timeout: 60, deadline: 500)
        _ = observe(&m, ready: 12, of: 60, at: 30)
        let row = m.state.clusters[0].durable
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let read = try decoder.decode(ClusterProgress.self, from: Data(row.json()))
        #expect(read == row)
        #expect(read.pairs[0].mostReady == 12)
        #expect(read.pairs[0].stepDeadline == at(500))
    }

    @Test func judgeIsPure() {
        var clocks = HealthDeadline.starting(at: t0, progressSeconds: 60, stepSeconds: nil)
        #expect(clocks.observe(PodCount(ready: 0, desired: 3), now: at(59)) == .waiting(until: at(60)))
        #expect(clocks.observe(PodCount(ready: 1, desired: 3), now: at(59)) == .progressed(deadline: at(119)))
        #expect(clocks.observe(PodCount(ready: 1, desired: 3), now: at(119)) == .expired(.noProgress(seconds: 60)))
    }
}
