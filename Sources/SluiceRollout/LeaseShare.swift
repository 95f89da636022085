import Foundation

/// How many environments a replica leads when several share a store, and which: each takes
/// leases up to its fair share (the environments over the replicas alive, rounded up), so two
/// replicas split the work and one alone takes all; a replica over its share (another joined)
/// gives one environment up per turn, so the hand-over is gradual. Preferences differ per
/// replica (a hash of its id and the environment), so replicas starting together reach for
/// different environments first. Pure: the controller does the taking and the giving up.
struct LeaseShare: Equatable, Sendable {
    var take: [String] = []
    var release: [String] = []
    /// How many this replica should lead: it takes from `take` until it leads that many.
    var limit = 0

    static func decide(environments: [String], running: Set<String>, replicas: Int, replica: String) -> LeaseShare {
        guard !environments.isEmpty else { return LeaseShare(release: running.sorted()) }
        let share = Self.share(of: environments.count, replicas: replicas)
        let ranked = environments.sorted { preference(replica, $0) < preference(replica, $1) }
        var decision = LeaseShare(limit: share)
        // Environments no longer in sluice.yaml are the controller's to stop, not this decision's.
        let mine = ranked.filter(running.contains)
        if mine.count < share {
            // Candidates in order: the controller stops at the share (a taken one counts).
            decision.take = ranked.filter { !running.contains($0) }
        } else if mine.count > share, let last = mine.last {
            decision.release = [last]
        }
        return decision
    }

    /// A stable hash (FNV-1a) of the replica and the environment: the same every turn.
    static func preference(_ replica: String, _ environment: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (replica + "\u{0}" + environment).utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    /// How many this replica should lead.
    static func share(of environments: Int, replicas: Int) -> Int {
        (environments + max(1, replicas) - 1) / max(1, replicas)
    }
}
