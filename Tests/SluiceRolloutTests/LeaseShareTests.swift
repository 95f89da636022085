@testable import SluiceRollout
import Testing

/// How replicas sharing a store divide the environments: fair shares, a gradual hand-over
/// when one joins, everything to one alone, and preferences that differ between replicas.
@Suite struct LeaseShareTests {
    let environments = ["dev", "staging", "canary", "production", "eu", "us", "apac"]

    @Test func aReplicaAloneTakesEverything() {
        let decision = LeaseShare.decide(environments: environments, running: [], replicas: 1, replica: "a")
        #expect(Set(decision.take) == Set(environments) && decision.release.isEmpty)
        #expect(LeaseShare.share(of: 7, replicas: 1) == 7)
    }

    @Test func twoReplicasSplitTheWorkAndAJoinerIsHandedSomeGradually() {
        #expect(LeaseShare.share(of: 7, replicas: 2) == 4)
        // The first ran everything; a second joined: one environment given up per turn, down to the share.
        var running = Set(environments)
        var turns = 0
        while true {
            let decision = LeaseShare.decide(environments: environments, running: running, replicas: 2, replica: "a")
            #expect(decision.take.isEmpty)
            guard let given = decision.release.first else { break }
            #expect(decision.release.count == 1)
            running.remove(given)
            turns += 1
        }
        #expect(turns == 3 && running.count == 4)
        // The joiner reaches for what it does not run; the controller stops at its share of 4.
        let joiner = LeaseShare.decide(environments: environments, running: [], replicas: 2, replica: "b")
        #expect(Set(joiner.take) == Set(environments))
        // At its share, a replica neither takes nor gives.
        #expect(LeaseShare.decide(environments: environments, running: running, replicas: 2, replica: "a") == LeaseShare(limit: 4))
    }

    @Test func replicasPreferDifferentEnvironmentsAndAlwaysTheSame() {
        let a = LeaseShare.decide(environments: environments, running: [], replicas: 3, replica: "sluice-0").take
        let b = LeaseShare.decide(environments: environments, running: [], replicas: 3, replica: "sluice-1").take
        #expect(a != b)
        #expect(a == LeaseShare.decide(environments: environments.reversed(), running: [], replicas: 3, replica: "sluice-0").take)
    }

    @Test func environmentsThatLeftAreNotCountedAndNoneLeftGivesAllUp() {
        // "old" left sluice.yaml: the controller stops it; the share counts what is wanted.
        let decision = LeaseShare.decide(environments: ["a", "b"], running: ["old", "a"], replicas: 2, replica: "x")
        #expect(decision == LeaseShare(limit: 1))
        #expect(LeaseShare.decide(environments: [], running: ["a"], replicas: 1, replica: "x").release == ["a"])
    }
}
