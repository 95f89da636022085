import Foundation
import SluiceRollout
import SluiceCore
import SluiceModel
import SluiceStore
import Testing

/// The rollout state machine with plain values: no Git, no store, no clusters, no clock.
@Suite(.timeLimit(.minutes(10))) struct RolloutMachineTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    func at(_ seconds: Double) -> Date { t0.addingTimeInterval(seconds) }

    func machine(_ stages: [RolloutBlueprint.Stage], base: String? = "old") -> RolloutMachine {
        RolloutMachine(state: RolloutState(id: "r", environment: "prod", commit: "new", baseCommit: base,
                                           blueprint: RolloutBlueprint(stages: stages), now: t0), pollSeconds: 5)
    }

    func pair(_ addon: String, dependsOn: [String] = [], settled: Bool = false, steps: Int = 1, bake: Double? = nil, timeout: Double = 60) -> PairPlan {
        PairPlan(addon: addon, dependsOn: dependsOn, digest: "d-\(addon)", settled: settled, steps: steps, stepBakeSeconds: bake,
                 healthTimeoutSeconds: timeout)
    }

    func applies(_ output: RolloutOutput) -> [String] {
        output.actions.compactMap { if case .apply(let cluster, let addon, _) = $0 { return "\(cluster)/\(addon)" }; return nil }
    }

    /// Drives one pair of one cluster from apply to healthy.
    func finish(_ m: inout RolloutMachine, _ cluster: String, _ addon: String, now: Date) -> RolloutOutput {
        var out = m.applied(cluster: cluster, addon: addon, attempt: 1, .ok, now: now)
        out.merge(m.statusObserved(cluster: cluster, addon: addon, attempt: 1, step: 0, .progress(complete: true, detail: "ok"), now: now))
        return out
    }

    @Test func maxConcurrencyIsAHardCap() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a", "b", "c", "d", "e"]], maxConcurrency: 2)])
        let start = m.start(now: t0)
        #expect(start.actions == [.plan(clusters: ["a", "b", "c", "d", "e"])])
        let outcomes = Dictionary(uniqueKeysWithValues: ["a", "b", "c", "d", "e"].map { ($0, ClusterPlanOutcome.planned([pair("dns")])) })
        var out = m.planned(outcomes, now: t0)
        // The policy gate runs first.
        #expect(out.actions == [.runCheck(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil))])
        out = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        #expect(applies(out) == ["a/dns", "b/dns"])
        #expect(out.pending.map(\.cluster) == ["a", "b"])
        // However quick the others are, a third cluster starts only when one is done.
        out = m.applied(cluster: "b", addon: "dns", attempt: 1, .ok, now: at(1))
        #expect(applies(out).isEmpty)
        out = m.statusObserved(cluster: "b", addon: "dns", attempt: 1, step: 0, .progress(complete: true, detail: "ok"), now: at(2))
        #expect(applies(out) == ["c/dns"])
        #expect(out.records.map(\.cluster) == ["b"])
        #expect(m.state.clusters.filter { $0.phase == .applying }.count == 2)
    }

    @Test func aBatchWithNothingToApplyIsRecordedAtOnceWithoutChecksOrBake() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"], ["b"]], bakeSeconds: 3600, approval: true, postChecks: ["healthy"])])
        _ = m.start(now: t0)
        let out = m.planned(["a": .planned([pair("dns", settled: true), pair("cni", settled: true)])], now: t0)
        #expect(out.records.map(\.addon) == ["dns", "cni"])
        #expect(out.actions == [.plan(clusters: ["b"])])
        #expect(m.state.batch == 1)
        #expect(m.state.phase == .running)
    }

    @Test func anAddonStartsOnlyAfterItsDependenciesAreRecorded() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"]])])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("cni"), pair("dns", dependsOn: ["cni"]), pair("metrics", dependsOn: ["dns"]), pair("csi")])], now: t0)
        var out = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        #expect(Set(applies(out)) == ["a/cni", "a/csi"])
        out = finish(&m, "a", "cni", now: at(10))
        #expect(applies(out) == ["a/dns"])
    }

    @Test func aStatusAboutAnEarlierApplyIsIgnored() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"]])])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns")])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        let before = m.state
        let out = m.statusObserved(cluster: "a", addon: "dns", attempt: 0, step: 0, .progress(complete: true, detail: "old"), now: at(1))
        #expect(out == RolloutOutput())
        #expect(m.state == before)
        // Nor a status before the apply's answer: the pair is still applying.
        _ = m.statusObserved(cluster: "a", addon: "dns", attempt: 1, step: 0, .progress(complete: true, detail: "early"), now: at(1))
        #expect(m.state.clusters[0].pairs[0].phase == .applying)
    }

    @Test func aHealthTimeoutFailsTheClusterAndHaltsBeyondTheBudget() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a", "b"], ["c"]], maxConcurrency: 1, maxFailures: 0)])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns", timeout: 60)]), "b": .planned([pair("dns")])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        // The status is read only once the apply has answered.
        var out = m.applied(cluster: "a", addon: "dns", attempt: 1, .ok, now: t0)
        #expect(out.actions == [.readStatus(cluster: "a", addon: "dns", attempt: 1, step: 0)])
        out = m.statusObserved(cluster: "a", addon: "dns", attempt: 1, step: 0, .progress(complete: false, detail: "0/1 ready"), now: at(5))
        #expect(m.state.wakeAt == at(10))
        #expect(m.state.phase == .running)
        out = m.statusObserved(cluster: "a", addon: "dns", attempt: 1, step: 0, .progress(complete: false, detail: "0/1 ready"), now: at(61))
        #expect(m.state.phase == .halted)
        #expect(m.state.haltReason?.contains("a") == true)
        // Nothing new started: b was never applied, no next batch.
        #expect(applies(out).isEmpty)
        #expect(!out.actions.contains(.plan(clusters: ["c"])))
        // A resume tries the failed cluster again.
        out = m.command(OperatorCommand(id: 7, environment: "prod", verb: .resume, user: "alice", reason: "fixed", at: at(100)), now: at(100))
        #expect(m.state.phase == .running)
        #expect(out.consumedCommands == [7])
        #expect(out.actions.contains(.plan(clusters: ["a"])))
    }

    /// A rollback is machine actions like any apply: the cluster planned at the base, each
    /// pair applied, waited for healthy (on the machine's timers, never a sleep in an action)
    /// and recorded at the base, in the same transactions as the state.
    @Test func onFailureRollbackReappliesTheBaseToTheTouchedClusters() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"]], rollbackOnFailure: true)])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns"), pair("proxy", dependsOn: ["dns"])])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        var out = m.applied(cluster: "a", addon: "dns", attempt: 1, .failed(ActionFailure(.rejected, "image pull")), now: at(1))
        #expect(out.actions == [.planRollback(cluster: "a")])
        #expect(m.state.step == .rollingBack)
        // At the base, proxy is as it was (recorded at once) and dns is applied again.
        out = m.rollbackPlanned(cluster: "a", .planned([pair("dns"), pair("proxy", settled: true)]), now: at(2))
        #expect(applies(out) == ["a/dns"])
        #expect(out.records.map(\.addon) == ["proxy"] && out.records.allSatisfy { $0.commit == "old" })
        #expect(out.pending.map(\.commit) == ["old"])
        #expect(m.state.clusters[0].phase == .rollingBack)
        out = m.applied(cluster: "a", addon: "dns", attempt: 1, .ok, now: at(3))
        #expect(out.actions == [.readStatus(cluster: "a", addon: "dns", attempt: 1, step: 0)])
        out = m.statusObserved(cluster: "a", addon: "dns", attempt: 1, step: 0, .progress(complete: false, detail: "0/1"), now: at(3))
        // Not healthy yet: polled again on the machine's timer.
        #expect(out.actions.isEmpty && m.state.wakeAt == at(8))
        out = m.timerFired(now: at(8))
        #expect(out.actions == [.readStatus(cluster: "a", addon: "dns", attempt: 1, step: 0)])
        out = m.statusObserved(cluster: "a", addon: "dns", attempt: 1, step: 0, .progress(complete: true, detail: "healthy"), now: at(9))
        #expect(out.records.map(\.commit) == ["old"])
        #expect(out.notes.contains { $0.outcome == .rolledBack && $0.cluster == "a" })
        #expect(m.state.clusters[0].phase == .rolledBack)
        #expect(m.state.phase == .halted)
    }

    /// A restart in the middle of a rollback goes on with it: a plan that was out is asked
    /// again, an apply that was out is made again (at the base).
    @Test func aRollbackGoesOnAfterARestart() throws {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a", "b"]], rollbackOnFailure: true)])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns")]), "b": .planned([pair("dns")])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        _ = finish(&m, "b", "dns", now: at(1))
        _ = m.applied(cluster: "a", addon: "dns", attempt: 1, .failed(ActionFailure(.rejected, "image pull")), now: at(1))
        _ = m.rollbackPlanned(cluster: "a", .planned([pair("dns")]), now: at(2))
        // Killed here: a's apply at the base and b's plan are out.
        var restarted = RolloutMachine(state: try RolloutState.decode(try m.state.record()), pollSeconds: 5)
        let out = restarted.start(now: at(60))
        #expect(Set(out.actions) == [.planRollback(cluster: "b"), .apply(cluster: "a", addon: "dns", attempt: 2)])
        #expect(out.pending.map(\.commit) == ["old"])
    }

    @Test func aRollbackThatFailsIsSaidAndTheRolloutHalts() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a", "b"]], rollbackOnFailure: true)])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns")]), "b": .planned([pair("dns")])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        _ = finish(&m, "b", "dns", now: at(1))
        let out = m.applied(cluster: "a", addon: "dns", attempt: 1, .failed(ActionFailure(.rejected, "image pull")), now: at(1))
        // Both touched clusters roll back; b's plan cannot be made, a's apply is refused.
        #expect(Set(out.actions) == [.planRollback(cluster: "a"), .planRollback(cluster: "b")])
        var last = m.rollbackPlanned(cluster: "b", .failed(ActionFailure(.unreachable, "timeout")), now: at(2))
        #expect(last.notes.contains { $0.outcome == .rollbackFailed && $0.cluster == "b" })
        _ = m.rollbackPlanned(cluster: "a", .planned([pair("dns")]), now: at(2))
        last = m.applied(cluster: "a", addon: "dns", attempt: 1, .failed(ActionFailure(.unreachable, "503")), now: at(3))
        #expect(last.notes.contains { $0.outcome == .rollbackFailed && $0.cluster == "a" })
        #expect(m.state.clusters.allSatisfy { $0.phase == .rolledBack })
        #expect(m.state.phase == .halted)
    }

    @Test func transientErrorsAreRetriedWithBackoffThenTheClusterCountsAsUnreachable() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"]])])
        m.maxRetries = 2
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns")])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        _ = m.applied(cluster: "a", addon: "dns", attempt: 1, .failed(ActionFailure(.unreachable, "503")), now: t0)
        guard case .retrying(let first) = m.state.clusters[0].pairs[0].phase else { Issue.record("not retrying"); return }
        #expect(first > t0)
        var out = m.timerFired(now: first)
        #expect(applies(out) == ["a/dns"])
        _ = m.applied(cluster: "a", addon: "dns", attempt: 2, .failed(ActionFailure(.unreachable, "503")), now: first)
        guard case .retrying(let second) = m.state.clusters[0].pairs[0].phase else { Issue.record("not retrying"); return }
        #expect(second.timeIntervalSince(first) > first.timeIntervalSince(t0))
        out = m.timerFired(now: second)
        _ = m.applied(cluster: "a", addon: "dns", attempt: 3, .failed(ActionFailure(.unreachable, "503")), now: second)
        // Not a failure: the batch waits for the cluster.
        guard case .unreachable = m.state.clusters[0].phase else { Issue.record("not unreachable: \(m.state.clusters[0].phase)"); return }
        #expect(m.state.stageFailures == 0)
        #expect(m.state.phase == .running)
    }

    @Test func theMachineDecidesByTheFailureKindNeverByItsText() {
        // Text that reads like an outage, kind refused: the cluster fails at once.
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a", "b"]], maxFailures: 1)])
        _ = m.start(now: t0)
        _ = m.planned(["a": .failed(ActionFailure(.refused, "unreachable: 503 timeout")),
                       "b": .failed(ActionFailure(.unreachable, "credentials refused"))], now: t0)
        guard case .failed = m.state.clusters[0].phase else { Issue.record("a: \(m.state.clusters[0].phase)"); return }
        guard case .unreachable = m.state.clusters[1].phase else { Issue.record("b: \(m.state.clusters[1].phase)"); return }
        #expect(m.state.stageFailures == 1)
        // A driver's error keeps its category.
        let key = ObjectKey(group: "apps", kind: "Deployment", namespace: "x", name: "y")
        #expect(ActionFailure(DriverError.unavailable("timeout")).kind == .unreachable)
        #expect(ActionFailure(DriverError.refused("forbidden")).kind == .refused)
        #expect(ActionFailure(DriverError.invalid(key, "bad")).kind == .rejected)
        #expect(ActionFailure(DriverError.kindNotServed(key)).isTransient == false)
    }

    @Test func partitionStepsBakeBetweenSteps() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"]])])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("ds", steps: 3, bake: 600)])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        var out = m.applied(cluster: "a", addon: "ds", attempt: 1, .ok, now: t0)
        #expect(out.actions == [.setPartition(cluster: "a", addon: "ds", attempt: 1, step: 0)])
        var now = t0
        for step in 0..<3 {
            _ = m.partitionSet(cluster: "a", addon: "ds", attempt: 1, step: step, .ok, now: now)
            out = m.statusObserved(cluster: "a", addon: "ds", attempt: 1, step: step, .progress(complete: true, detail: "ok"), now: now)
            if step < 2 {
                #expect(m.state.clusters[0].pairs[0].phase == .baking(step: step, until: now.addingTimeInterval(600)))
                #expect(m.timerFired(now: now.addingTimeInterval(599)).actions.isEmpty)
                now = now.addingTimeInterval(600)
                out = m.timerFired(now: now)
                #expect(out.actions == [.setPartition(cluster: "a", addon: "ds", attempt: 1, step: step + 1)])
            }
        }
        #expect(out.records.map(\.addon) == ["ds"])
    }

    @Test func aPauseTakesEffectAtTheNextBatchBoundary() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"], ["b"]])])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns")])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        _ = m.command(OperatorCommand(id: 1, environment: "prod", verb: .pause, user: "bob", reason: "incident", at: t0), now: t0)
        #expect(m.state.phase == .running)
        let out = finish(&m, "a", "dns", now: at(1))
        #expect(out.records.map(\.cluster) == ["a"])
        #expect(m.state.phase == .paused)
        #expect(!out.actions.contains(.plan(clusters: ["b"])))
        let resumed = m.command(OperatorCommand(id: 2, environment: "prod", verb: .resume, user: "bob", reason: "", at: at(2)), now: at(2))
        #expect(resumed.actions == [.plan(clusters: ["b"])])
    }

    @Test func aNewerHeadLetsRunningAppliesFinishThenSupersedes() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"], ["b"]])])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("cni"), pair("dns", dependsOn: ["cni"])])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        _ = m.newHead("newer", now: at(1))
        #expect(m.state.phase == .running)
        let out = finish(&m, "a", "cni", now: at(2))
        // The running apply finished and was recorded; its dependent did not start.
        #expect(out.records.map(\.addon) == ["cni"])
        #expect(applies(out).isEmpty)
        #expect(m.state.phase == .superseded)
    }

    @Test func aWindowWaitsAndAFreezeHoldsWithoutFailing() {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"]], preChecks: ["window"])], base: nil)
        m.state.blueprint.batchChecks = ["window"]
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns")])], now: t0)
        let gate = CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), window = CheckID(name: "window", phase: .pre, cluster: nil)
        _ = m.checkFinished(gate, .hold("frozen by ops"), now: t0)
        #expect(m.state.isHeld)
        _ = m.checkFinished(window, .wait(until: at(3600), "closed"), now: t0)
        #expect(m.timerFired(now: at(5)).actions == [.runCheck(gate)])
        _ = m.checkFinished(gate, .passed("ok"), now: at(5))
        #expect(!m.state.isHeld)
        #expect(m.state.wakeAt == at(3600))
        let out = m.timerFired(now: at(3600))
        #expect(out.actions == [.runCheck(window)])
        let open = m.checkFinished(window, .passed("open"), now: at(3600))
        // Time passed while waiting: the batch is planned again before it is applied.
        #expect(open.actions == [.plan(clusters: ["a"])])
        #expect(m.state.stageFailures == 0)
    }

    @Test func aNewerStateFormatIsRefused() throws {
        let m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a"]])])
        var record = try m.state.record()
        #expect(try RolloutState.decode(record) == m.state)
        record.format = RolloutState.format + 1
        #expect(throws: RolloutStateError.self) { try RolloutState.decode(record) }
    }
}

extension RolloutMachineTests {
    @Test func anApprovalGivenAheadLetsTheStagePassWithoutWaiting() {
        var m = machine([RolloutBlueprint.Stage(name: "canary", batches: [["a"]]),
                         RolloutBlueprint.Stage(name: "production", batches: [["b"]], approval: true)])
        _ = m.start(now: t0)
        _ = m.command(OperatorCommand(id: 1, environment: "prod", verb: .approve, user: "alice", reason: "", at: t0), now: t0)
        #expect(m.state.approvedStages == [1])
        _ = m.planned(["a": .planned([pair("dns")])], now: t0)
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: t0)
        let out = finish(&m, "a", "dns", now: at(1))
        #expect(out.actions.contains(.plan(clusters: ["b"])))
        _ = m.planned(["b": .planned([pair("dns")])], now: at(2))
        #expect(m.state.phase == .running)
        #expect(m.state.step == .preChecks)
    }

    /// An approval given for commit A never approves commit B, which nobody reviewed, nor
    /// another stage than the one it names.
    @Test func anApprovalIsForItsCommitAndStageOnly() {
        var m = machine([RolloutBlueprint.Stage(name: "canary", batches: [["a"]], approval: true),
                         RolloutBlueprint.Stage(name: "production", batches: [["b"]], approval: true)])
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("dns")])], now: t0)
        #expect(m.state.phase == .awaitingApproval)
        var out = m.command(OperatorCommand(id: 1, environment: "prod", verb: .approve, user: "alice", reason: "", at: t0,
                                            commit: "a-commit-reviewed-before", stage: "canary"), now: t0)
        #expect(m.state.phase == .awaitingApproval)
        #expect(out.notes.map(\.outcome) == [.operatorCommandIgnored])
        #expect(out.consumedCommands == [1])
        out = m.command(OperatorCommand(id: 2, environment: "prod", verb: .approve, user: "alice", reason: "", at: t0,
                                        commit: "new", stage: "production"), now: t0)
        // Production approved ahead; canary still waits.
        #expect(m.state.phase == .awaitingApproval && m.state.approvedStages == [1])
        out = m.command(OperatorCommand(id: 3, environment: "prod", verb: .approve, user: "alice", reason: "", at: t0,
                                        commit: "new", stage: "canary"), now: t0)
        #expect(m.state.phase == .running)
        #expect(out.notes.map(\.outcome).contains(.operatorCommand))
    }
}

extension RolloutMachineTests {
    /// The written state reads back as it was (only pairs of clusters not being applied are
    /// left out): dates, enums with values, optionals.
    @Test func theWrittenStateReadsBackEqual() throws {
        var m = machine([RolloutBlueprint.Stage(name: "s", batches: [["a", "b", "c"]], maxConcurrency: 2, bakeSeconds: 90.5,
                                                 preChecks: ["w"])], base: "base")
        _ = m.start(now: t0)
        _ = m.planned(["a": .planned([pair("ds", steps: 3, bake: 600), pair("dns", settled: true)]), "b": .failed(ActionFailure(.unreachable, "connection refused")),
                       "c": .planned([pair("cni")])], now: t0.addingTimeInterval(0.25))
        _ = m.checkFinished(CheckID(name: RolloutChecks.policyGate, phase: .pre, cluster: nil), .passed("ok"), now: at(1))
        _ = m.checkFinished(CheckID(name: "w", phase: .pre, cluster: "a"), .wait(until: at(30), "closed"), now: at(1))
        let record = try m.state.record()
        let decoded = try RolloutState.decode(record)
        #expect(decoded == m.state.persistable)
        _ = m.timerFired(now: at(30))
        for check in m.state.checks where check.status == .running {
            _ = m.checkFinished(check.id, .passed("open"), now: at(30))
        }
        for cluster in m.state.planning { _ = m.planned([cluster: .planned([pair("ds", steps: 3, bake: 600)])], now: at(31)) }
        _ = m.applied(cluster: "a", addon: "ds", attempt: 1, .ok, now: at(32))
        #expect(m.state.clusters.contains { $0.phase == .applying && !$0.pairs.isEmpty })
        #expect(try RolloutState.decode(try m.state.record()) == m.state.persistable)
    }
}
