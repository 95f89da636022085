import Foundation
import SluiceCore
@testable import SluiceRollout
import Testing

/// Pairs applied directly (`drift: correct`, `sluice apply`) as a machine: pairs of a cluster one after another, each applied, watched
/// until healthy with the rollout's health clocks, and recorded; a failure leaves the rest of
/// its cluster; a newer head makes it give way.
@Suite struct DirectApplyTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    typealias Action = DirectApply.Action

    func machine(_ pairs: [(String, String)], concurrency: Int = 4) -> DirectApply {
        DirectApply(environment: "prod", commit: "c1", pairs: pairs.map { cluster, addon in
            DirectApply.Pair(cluster: cluster, addon: addon, digest: "d-\(addon)", healthTimeoutSeconds: 60, healthDeadlineSeconds: nil)
        }, concurrency: concurrency, pollSeconds: 5)
    }

    func ending(_ machine: DirectApply, _ cluster: String, _ addon: String) -> DirectApply.Ending? {
        guard case .ended(let ending) = machine.pairs.first(where: { $0.cluster == cluster && $0.addon == addon })?.phase else { return nil }
        return ending
    }

    @Test func aClustersPairsGoOneAfterAnotherEachRecordedOnceHealthy() {
        var m = machine([("a", "calico"), ("a", "coredns"), ("b", "coredns")])
        let started = m.start(now: t0)
        #expect(started.actions == [.apply(cluster: "a", addon: "calico"), .apply(cluster: "b", addon: "coredns")])
        // Marked before they are applied.
        #expect(started.pending == [PendingApply(environment: "prod", cluster: "a", addon: "calico", commit: "c1"),
                                    PendingApply(environment: "prod", cluster: "b", addon: "coredns", commit: "c1")])
        #expect(m.applied(cluster: "a", addon: "calico", .ok, now: t0).actions == [.readStatus(cluster: "a", addon: "calico")])
        // Not healthy yet: looked at again after the poll interval, by a timer (nothing sleeps).
        let waiting = m.statusObserved(cluster: "a", addon: "calico", .progress(complete: false, detail: "1/3", pods: PodCount(ready: 1, desired: 3)),
                                       now: t0.addingTimeInterval(1))
        #expect(waiting.actions.isEmpty && waiting.records.isEmpty)
        #expect(m.wakeAt == t0.addingTimeInterval(6))
        #expect(m.timerFired(now: t0.addingTimeInterval(5)).actions.isEmpty)
        #expect(m.timerFired(now: t0.addingTimeInterval(6)).actions == [.readStatus(cluster: "a", addon: "calico")])
        let healthy = m.statusObserved(cluster: "a", addon: "calico", .progress(complete: true, detail: "healthy"), now: t0.addingTimeInterval(7))
        #expect(healthy.records == [AppliedRecord(environment: "prod", cluster: "a", addon: "calico", commit: "c1", digest: "d-calico",
                                                  appliedAt: t0.addingTimeInterval(7))])
        // Then its dependent on the same cluster.
        #expect(healthy.actions == [.apply(cluster: "a", addon: "coredns")])
        #expect(!m.isOver)
    }

    @Test func aFailureLeavesTheRestOfItsClusterAndNotTheOthers() {
        var m = machine([("a", "calico"), ("a", "coredns"), ("b", "calico")])
        _ = m.start(now: t0)
        let failed = m.applied(cluster: "a", addon: "calico", .failed(ActionFailure(.rejected, "denied by a webhook")), now: t0)
        #expect(failed.actions.isEmpty && failed.records.isEmpty)
        #expect(ending(m, "a", "calico") == .failed(ActionFailure(.rejected, "denied by a webhook")))
        #expect(ending(m, "a", "coredns") == .skipped(after: "calico"))
        #expect(ending(m, "b", "calico") == nil)
        _ = m.applied(cluster: "b", addon: "calico", .ok, now: t0)
        #expect(m.statusObserved(cluster: "b", addon: "calico", .progress(complete: true, detail: "healthy"), now: t0).records.count == 1)
        #expect(m.isOver)
    }

    @Test func aPairThatDoesNotGetHealthyInTimeEndsUnhealthy() {
        var m = machine([("a", "coredns"), ("a", "fluent-bit")])
        _ = m.start(now: t0)
        _ = m.applied(cluster: "a", addon: "coredns", .ok, now: t0)
        var now = t0
        var ended: DirectApply.Ending?
        for _ in 0..<100 where ended == nil {
            _ = m.statusObserved(cluster: "a", addon: "coredns", .progress(complete: false, detail: "0/2", pods: PodCount(ready: 0, desired: 2)), now: now)
            ended = ending(m, "a", "coredns")
            now = m.wakeAt ?? now
            _ = m.timerFired(now: now)
        }
        #expect(ended == .unhealthy(.noProgress(seconds: 60), detail: "0/2"))
        #expect(now >= t0.addingTimeInterval(60) && now < t0.addingTimeInterval(70))
        #expect(ending(m, "a", "fluent-bit") == .skipped(after: "coredns"))
    }

    @Test func anUnreachableClusterIsReadAgainUntilItsHealthClockRunsOut() {
        var m = machine([("a", "coredns")])
        _ = m.start(now: t0)
        _ = m.applied(cluster: "a", addon: "coredns", .ok, now: t0)
        let gone = ActionFailure(.unreachable, "connection refused")
        _ = m.statusObserved(cluster: "a", addon: "coredns", .failed(gone), now: t0.addingTimeInterval(1))
        #expect(ending(m, "a", "coredns") == nil)
        #expect(m.timerFired(now: t0.addingTimeInterval(6)).actions == [.readStatus(cluster: "a", addon: "coredns")])
        _ = m.statusObserved(cluster: "a", addon: "coredns", .failed(gone), now: t0.addingTimeInterval(61))
        #expect(ending(m, "a", "coredns") == .failed(gone))
    }

    @Test func clustersAreCorrectedAFewAtATime() {
        var m = machine([("a", "x"), ("b", "x"), ("c", "x")], concurrency: 2)
        #expect(m.start(now: t0).actions == [.apply(cluster: "a", addon: "x"), .apply(cluster: "b", addon: "x")])
        _ = m.applied(cluster: "a", addon: "x", .ok, now: t0)
        let next = m.statusObserved(cluster: "a", addon: "x", .progress(complete: true, detail: "healthy"), now: t0)
        #expect(next.actions == [.apply(cluster: "c", addon: "x")])
    }

    @Test func aNewerHeadMakesItGiveWayWithWhatIsInFlightFinished() {
        var m = machine([("a", "calico"), ("a", "coredns"), ("b", "calico"), ("c", "calico")], concurrency: 2)
        _ = m.start(now: t0)
        _ = m.applied(cluster: "b", addon: "calico", .ok, now: t0)
        _ = m.statusObserved(cluster: "b", addon: "calico", .progress(complete: false, detail: "0/1", pods: PodCount(ready: 0, desired: 1)), now: t0)
        m.giveWay()
        // Watched and queued pairs end at once; the apply in flight is answered first.
        #expect(ending(m, "b", "calico") == .gaveWay)
        #expect(ending(m, "a", "coredns") == .gaveWay)
        #expect(ending(m, "c", "calico") == .gaveWay)
        #expect(!m.isOver)
        let answered = m.applied(cluster: "a", addon: "calico", .ok, now: t0.addingTimeInterval(1))
        #expect(answered.actions.isEmpty && answered.pending.isEmpty)
        #expect(ending(m, "a", "calico") == .gaveWay)
        #expect(m.isOver && m.wakeAt == nil)
    }

    @Test func aRemovedPairIsForgottenAndAFirstInstallHasNoMarkToSet() {
        var m = DirectApply(environment: "prod", commit: "c1", pairs: [
            DirectApply.Pair(cluster: "a", addon: "old", digest: "", healthTimeoutSeconds: 60, healthDeadlineSeconds: nil, removed: true),
            DirectApply.Pair(cluster: "b", addon: "new", digest: "d-new", healthTimeoutSeconds: 60, healthDeadlineSeconds: nil, recorded: false),
        ])
        let started = m.start(now: t0)
        #expect(started.pending == [PendingApply(environment: "prod", cluster: "a", addon: "old", commit: "c1")])
        _ = m.applied(cluster: "a", addon: "old", .ok, now: t0)
        let gone = m.statusObserved(cluster: "a", addon: "old", .progress(complete: true, detail: "nothing to wait for"), now: t0)
        #expect(gone.removals == [AppliedRemoval(environment: "prod", cluster: "a", addon: "old", commit: "c1", at: t0)] && gone.records.isEmpty)
        #expect(gone.ended == [DirectApply.Ended(cluster: "a", addon: "old", ending: .applied)])
        _ = m.applied(cluster: "b", addon: "new", .ok, now: t0)
        let installed = m.statusObserved(cluster: "b", addon: "new", .progress(complete: true, detail: "healthy"), now: t0)
        #expect(installed.records.map(\.addon) == ["new"] && installed.removals.isEmpty)
    }

    @Test func actionsNotPerformedEndTheirPairs() {
        var m = machine([("a", "calico"), ("a", "coredns"), ("b", "calico")])
        let started = m.start(now: t0)
        m.notPerformed(started.actions)
        #expect(m.isOver && m.pairs.allSatisfy { $0.phase == .ended(.gaveWay) })
    }
}
