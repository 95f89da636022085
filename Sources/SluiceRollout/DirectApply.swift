import Foundation
import SluiceCore
import SluiceModel

/// Pairs applied directly, without batches, checks or partitions, as a state machine like a
/// rollout's (no second apply engine, no sleeps inside an action): a re-sync's drift
/// correction (the drifted pairs applied again at the commit they are recorded at) and the
/// one-shot `sluice apply`. On each cluster, pair after pair in the plan's order (the
/// add-ons' dependency order): apply, then read the workloads' status until healthy (judged
/// by `HealthDeadline`, as in a rollout), then record the pair (or forget a removed one). A
/// pair that fails leaves the rest of its cluster as it is; `giveWay` (a newer head, a store
/// that failed) starts nothing new and lets what is in flight finish. The caller performs the
/// actions and writes the records and pending marks before performing what they guard.
struct DirectApply: Sendable, Equatable {
    struct Pair: Sendable, Equatable {
        var cluster: String
        var addon: String
        var digest: String
        var healthTimeoutSeconds: Double
        var healthDeadlineSeconds: Double?
        /// The add-on left the cluster: its objects are pruned and its record forgotten.
        var removed = false
        /// It has a record to mark pending before it is applied (a first install has none).
        var recorded = true
        /// A chart add-on's hooks run before its objects are applied and after they are healthy.
        var preHooks = 0
        var postHooks = 0
        /// The revision its record gets (`PlannedPair.revision`).
        var revision = 1
        var phase: Phase = .queued
        var inFlight = false
        var nextPoll: Date?

        init(cluster: String, addon: String, digest: String, healthTimeoutSeconds: Double, healthDeadlineSeconds: Double?,
             removed: Bool = false, recorded: Bool = true, preHooks: Int = 0, postHooks: Int = 0) {
            self.cluster = cluster
            self.addon = addon
            self.digest = digest
            self.healthTimeoutSeconds = healthTimeoutSeconds
            self.healthDeadlineSeconds = healthDeadlineSeconds
            self.removed = removed
            self.recorded = recorded
            self.preHooks = preHooks
            self.postHooks = postHooks
        }
    }

    enum Phase: Sendable, Equatable {
        case queued
        /// Its hooks of one moment run (`pre` before `applying`, `post` after `watching`).
        case hooks(HookRun)
        case applying
        case watching(HealthDeadline)
        case ended(Ending)
    }

    /// How a pair's apply ended.
    enum Ending: Sendable, Equatable {
        /// Applied, healthy and recorded (or, removed, forgotten).
        case applied
        /// The apply or a status read failed.
        case failed(ActionFailure)
        /// Applied, but its workloads did not become healthy in time.
        case unhealthy(HealthDeadline.Expiry, detail: String)
        /// Not tried: an earlier add-on of its cluster did not get through.
        case skipped(after: String)
        /// Not tried, or not watched to the end: `giveWay` was called.
        case gaveWay
    }

    enum Action: Sendable, Equatable {
        case apply(cluster: String, addon: String)
        case readStatus(cluster: String, addon: String)
        case hook(cluster: String, addon: String, HookRun.Action)

        var pair: (cluster: String, addon: String) {
            switch self {
            case .apply(let cluster, let addon), .readStatus(let cluster, let addon), .hook(let cluster, let addon, _): (cluster, addon)
            }
        }

        /// The answer of this action when it could not be performed.
        func failed(_ failure: ActionFailure) -> Answer {
            switch self {
            case .apply(let cluster, let addon): .applied(cluster: cluster, addon: addon, .failed(failure))
            case .readStatus(let cluster, let addon): .status(cluster: cluster, addon: addon, .failed(failure))
            case .hook(let cluster, let addon, let step): .hook(cluster: cluster, addon: addon, HookRun.answer(step, failed: failure))
            }
        }
    }

    struct Output: Sendable, Equatable {
        var actions: [Action] = []
        var records: [AppliedRecord] = []
        var removals: [AppliedRemoval] = []
        /// Marked before the pair is applied: an apply cut short is rendered again by the
        /// next plan instead of trusting the record.
        var pending: [PendingApply] = []
        /// Pairs that ended with this event, and how.
        var ended: [Ended] = []
    }

    struct Ended: Sendable, Equatable {
        var cluster: String
        var addon: String
        var ending: Ending
    }

    /// What a performed action answered.
    enum Answer: Sendable, Equatable {
        case applied(cluster: String, addon: String, StepResult)
        case status(cluster: String, addon: String, StatusObservation)
        case hook(cluster: String, addon: String, HookRun.Answer)
    }

    let environment: String
    let commit: String
    /// Grouped by cluster (clusters in the order they first come, each cluster's pairs in
    /// their order).
    private(set) var pairs: [Pair]
    /// Clusters applied at the same time.
    var concurrency: Int
    var pollSeconds: Double
    private(set) var givingWay = false
    /// Where each pair is, by `cluster/addon`, and each cluster's run of pairs.
    private let positions: [String: Int]
    private let clusters: [Range<Int>]
    private let clusterOf: [Int]
    /// The next cluster not started yet.
    private var nextCluster = 0
    /// The pairs applying or watched: one per cluster under way, so an event never walks
    /// every pair (a `sluice apply` of an environment has hundreds of thousands).
    private var underWay: [Int] = []
    private var endedCount = 0

    init(environment: String, commit: String, pairs: [Pair], concurrency: Int = 4, pollSeconds: Double = 5) {
        self.environment = environment
        self.commit = commit
        var order: [String] = [], byCluster: [String: [Pair]] = [:]
        for pair in pairs {
            if byCluster[pair.cluster] == nil { order.append(pair.cluster) }
            byCluster[pair.cluster, default: []].append(pair)
        }
        let grouped = order.flatMap { byCluster[$0] ?? [] }
        self.pairs = grouped
        var clusters: [Range<Int>] = [], clusterOf: [Int] = [], start = 0
        for name in order {
            let count = byCluster[name]?.count ?? 0
            clusters.append(start..<start + count)
            clusterOf += Array(repeating: clusters.count - 1, count: count)
            start += count
        }
        self.clusters = clusters
        self.clusterOf = clusterOf
        positions = Dictionary(grouped.indices.map { ("\(grouped[$0].cluster)/\(grouped[$0].addon)", $0) },
                               uniquingKeysWith: { first, _ in first })
        self.concurrency = max(1, concurrency)
        self.pollSeconds = pollSeconds
    }

    /// Every pair has ended.
    var isOver: Bool { endedCount == pairs.count }

    /// The next status read that is due.
    var wakeAt: Date? {
        underWay.filter { !pairs[$0].inFlight && pairs[$0].polls }.compactMap { pairs[$0].nextPoll }.min()
    }

    // MARK: - Events

    mutating func start(now: Date) -> Output {
        var out = Output()
        startClusters(now, &out)
        return out
    }

    mutating func answered(_ answer: Answer, now: Date) -> Output {
        switch answer {
        case .applied(let cluster, let addon, let result): return applied(cluster: cluster, addon: addon, result, now: now)
        case .status(let cluster, let addon, let observation): return statusObserved(cluster: cluster, addon: addon, observation, now: now)
        case .hook(let cluster, let addon, let answer): return hookAnswered(cluster: cluster, addon: addon, answer, now: now)
        }
    }

    mutating func hookAnswered(cluster: String, addon: String, _ answer: HookRun.Answer, now: Date) -> Output {
        var out = Output()
        guard let p = index(cluster, addon), pairs[p].inFlight, case .hooks(var run) = pairs[p].phase else { return out }
        pairs[p].inFlight = false
        let move = run.answered(answer, now: now)
        pairs[p].phase = .hooks(run)
        if givingWay, move != .done {
            end(p, .gaveWay, now, &out)
            return out
        }
        follow(p, move, moment: run.moment, now, &out)
        return out
    }

    mutating func applied(cluster: String, addon: String, _ result: StepResult, now: Date) -> Output {
        var out = Output()
        guard let p = index(cluster, addon), pairs[p].inFlight, pairs[p].phase == .applying else { return out }
        pairs[p].inFlight = false
        switch result {
        case .ok where givingWay:
            end(p, .gaveWay, now, &out)
        case .ok:
            pairs[p].phase = .watching(.starting(at: now, progressSeconds: pairs[p].healthTimeoutSeconds,
                                                 stepSeconds: pairs[p].healthDeadlineSeconds))
            pairs[p].nextPoll = now
            out.merge(timerFired(now: now))
        case .failed(let failure):
            end(p, .failed(failure), now, &out)
        }
        return out
    }

    mutating func statusObserved(cluster: String, addon: String, _ observation: StatusObservation, now: Date) -> Output {
        var out = Output()
        guard let p = index(cluster, addon), pairs[p].inFlight, case .watching(var clocks) = pairs[p].phase else { return out }
        pairs[p].inFlight = false
        switch observation {
        case .progress(true, _, _) where pairs[p].postHooks > 0 && !givingWay:
            let (run, move) = HookRun.start(.post, count: pairs[p].postHooks, timeout: pairs[p].healthTimeoutSeconds, now: now)
            if let run { pairs[p].phase = .hooks(run) }
            follow(p, move, moment: .post, now, &out)
            return out
        case .progress(true, _, _):
            end(p, .applied, now, &out)
            return out
        case .progress(false, let detail, let pods):
            switch clocks.observe(pods, now: now) {
            case .progressed, .waiting:
                pairs[p].phase = .watching(clocks)
            case .expired(let expiry):
                end(p, .unhealthy(expiry, detail: detail), now, &out)
                return out
            }
        case .failed(let failure) where failure.isTransient:
            // The cluster may answer again before the pair's health clock runs out.
            if case .expired = clocks.judge(PodCount(), now: now) {
                end(p, .failed(failure), now, &out)
                return out
            }
        case .failed(let failure):
            end(p, .failed(failure), now, &out)
            return out
        }
        if givingWay {
            end(p, .gaveWay, now, &out)
        } else {
            pairs[p].nextPoll = now.addingTimeInterval(pollSeconds)
        }
        return out
    }

    /// Reads the status of every pair that is due.
    mutating func timerFired(now: Date) -> Output {
        var out = Output()
        for p in underWay where pairs[p].polls && !pairs[p].inFlight {
            guard let due = pairs[p].nextPoll, due <= now else { continue }
            pairs[p].inFlight = true
            pairs[p].nextPoll = nil
            if case .hooks(let run) = pairs[p].phase {
                out.actions.append(.hook(cluster: pairs[p].cluster, addon: pairs[p].addon, run.pending))
            } else {
                out.actions.append(.readStatus(cluster: pairs[p].cluster, addon: pairs[p].addon))
            }
        }
        return out
    }

    /// A newer head is to be rolled out, or the store failed: nothing new starts; what is in
    /// flight ends when answered.
    mutating func giveWay() {
        givingWay = true
        for p in pairs.indices where !pairs[p].inFlight {
            switch pairs[p].phase {
            case .queued, .hooks, .watching, .applying: finish(p, .gaveWay)
            case .ended: break
            }
        }
    }

    /// The caller did not perform these actions (the step that asked for them could not be
    /// written): nothing of them is in flight, and nothing new starts.
    mutating func notPerformed(_ actions: [Action]) {
        for action in actions {
            if let p = index(action.pair.cluster, action.pair.addon) { pairs[p].inFlight = false }
        }
        giveWay()
    }

    // MARK: - Moves

    /// The pair ends; its record (or removal) comes out; after a failure the rest of its
    /// cluster is skipped; then its cluster's next pair starts, or another cluster.
    private mutating func end(_ p: Int, _ ending: Ending, _ now: Date, _ out: inout Output) {
        finish(p, ending)
        out.ended.append(Ended(cluster: pairs[p].cluster, addon: pairs[p].addon, ending: ending))
        let rest = p + 1..<clusters[clusterOf[p]].upperBound
        if ending == .applied, pairs[p].removed {
            out.removals.append(AppliedRemoval(environment: environment, cluster: pairs[p].cluster, addon: pairs[p].addon, commit: commit, at: now))
        } else if ending == .applied {
            out.records.append(AppliedRecord(environment: environment, cluster: pairs[p].cluster, addon: pairs[p].addon,
                                             commit: commit, digest: pairs[p].digest, appliedAt: now, revision: pairs[p].revision))
        } else if ending != .gaveWay {
            // Its dependents must not be applied on an add-on that is not healthy.
            for q in rest where pairs[q].phase == .queued {
                finish(q, .skipped(after: pairs[p].addon))
                out.ended.append(Ended(cluster: pairs[q].cluster, addon: pairs[q].addon, ending: .skipped(after: pairs[p].addon)))
            }
        }
        if let next = rest.first(where: { pairs[$0].phase == .queued }) {
            if givingWay { finish(next, .gaveWay) } else { begin(next, now, &out) }
        }
        startClusters(now, &out)
    }

    /// Starts clusters not started yet while fewer than `concurrency` are under way.
    private mutating func startClusters(_ now: Date, _ out: inout Output) {
        while nextCluster < clusters.count && (givingWay || underWay.count < concurrency) {
            let range = clusters[nextCluster]
            nextCluster += 1
            guard let first = range.first(where: { pairs[$0].phase == .queued }) else { continue }
            if givingWay {
                for p in range where pairs[p].phase == .queued { finish(p, .gaveWay) }
            } else {
                begin(first, now, &out)
            }
        }
    }

    private mutating func begin(_ p: Int, _ now: Date, _ out: inout Output) {
        underWay.append(p)
        if pairs[p].recorded {
            out.pending.append(PendingApply(environment: environment, cluster: pairs[p].cluster, addon: pairs[p].addon, commit: commit))
        }
        let (run, move) = HookRun.start(.pre, count: pairs[p].preHooks, timeout: pairs[p].healthTimeoutSeconds, now: now)
        if let run { pairs[p].phase = .hooks(run) }
        follow(p, move, moment: .pre, now, &out)
    }

    /// Where a pair's hooks lead: the next hook action, the apply (after `pre`), the record
    /// (after `post`), or the pair's failure.
    private mutating func follow(_ p: Int, _ move: HookRun.Move, moment: HookMoment, _ now: Date, _ out: inout Output) {
        switch move {
        case .send(let action):
            pairs[p].inFlight = true
            out.actions.append(.hook(cluster: pairs[p].cluster, addon: pairs[p].addon, action))
        case .poll:
            pairs[p].nextPoll = now.addingTimeInterval(pollSeconds)
        case .done where moment == .pre:
            pairs[p].phase = .applying
            pairs[p].inFlight = true
            out.actions.append(.apply(cluster: pairs[p].cluster, addon: pairs[p].addon))
        case .done:
            end(p, .applied, now, &out)
        case .failed(let failure):
            end(p, .failed(failure), now, &out)
        }
    }

    private mutating func finish(_ p: Int, _ ending: Ending) {
        if case .ended = pairs[p].phase { return }
        pairs[p].phase = .ended(ending)
        pairs[p].nextPoll = nil
        endedCount += 1
        underWay.removeAll { $0 == p }
    }

    private func index(_ cluster: String, _ addon: String) -> Int? { positions["\(cluster)/\(addon)"] }
}

extension DirectApply.Pair {
    /// Its next action waits for `nextPoll` (a status read, a hook read or retry).
    var polls: Bool {
        switch phase {
        case .watching, .hooks: true
        default: false
        }
    }
}

extension DirectApply.Output {
    mutating func merge(_ other: DirectApply.Output) {
        actions += other.actions
        records += other.records
        removals += other.removals
        pending += other.pending
        ended += other.ended
    }
}
