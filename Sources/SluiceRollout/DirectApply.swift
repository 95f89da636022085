import Foundation
import SluiceCore

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
        var phase: Phase = .queued
        var inFlight = false
        var nextPoll: Date?

        init(cluster: String, addon: String, digest: String, healthTimeoutSeconds: Double, healthDeadlineSeconds: Double?,
             removed: Bool = false, recorded: Bool = true) {
            self.cluster = cluster
            self.addon = addon
            self.digest = digest
            self.healthTimeoutSeconds = healthTimeoutSeconds
            self.healthDeadlineSeconds = healthDeadlineSeconds
            self.removed = removed
            self.recorded = recorded
        }
    }

    enum Phase: Sendable, Equatable {
        case queued
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

    let environment: String
    let commit: String
    private(set) var pairs: [Pair]
    /// Clusters corrected at the same time.
    var concurrency: Int
    var pollSeconds: Double
    private(set) var givingWay = false

    init(environment: String, commit: String, pairs: [Pair], concurrency: Int = 4, pollSeconds: Double = 5) {
        self.environment = environment
        self.commit = commit
        self.pairs = pairs
        self.concurrency = max(1, concurrency)
        self.pollSeconds = pollSeconds
    }

    /// Every pair has ended.
    var isOver: Bool { pairs.allSatisfy { if case .ended = $0.phase { true } else { false } } }

    /// The next status read that is due.
    var wakeAt: Date? {
        pairs.filter { !$0.inFlight && $0.isWatching }.compactMap(\.nextPoll).min()
    }

    // MARK: - Events

    mutating func start(now: Date) -> Output {
        var out = Output()
        startClusters(now, &out)
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
        for p in pairs.indices where pairs[p].isWatching && !pairs[p].inFlight {
            guard let due = pairs[p].nextPoll, due <= now else { continue }
            pairs[p].inFlight = true
            pairs[p].nextPoll = nil
            out.actions.append(.readStatus(cluster: pairs[p].cluster, addon: pairs[p].addon))
        }
        return out
    }

    /// A newer head is to be rolled out, or the store failed: nothing new starts; what is in
    /// flight ends when answered.
    mutating func giveWay() {
        givingWay = true
        for p in pairs.indices where !pairs[p].inFlight {
            switch pairs[p].phase {
            case .queued, .watching, .applying:
                pairs[p].phase = .ended(.gaveWay)
                pairs[p].nextPoll = nil
            case .ended: break
            }
        }
    }

    /// The caller did not perform these actions (the step that asked for them could not be
    /// written): nothing of them is in flight, and nothing new starts.
    mutating func notPerformed(_ actions: [Action]) {
        for action in actions {
            let (cluster, addon) = switch action {
            case .apply(let cluster, let addon), .readStatus(let cluster, let addon): (cluster, addon)
            }
            if let p = index(cluster, addon) { pairs[p].inFlight = false }
        }
        giveWay()
    }

    // MARK: - Moves

    private mutating func end(_ p: Int, _ ending: Ending, _ now: Date, _ out: inout Output) {
        pairs[p].phase = .ended(ending)
        pairs[p].nextPoll = nil
        out.ended.append(Ended(cluster: pairs[p].cluster, addon: pairs[p].addon, ending: ending))
        if ending == .applied, pairs[p].removed {
            out.removals.append(AppliedRemoval(environment: environment, cluster: pairs[p].cluster, addon: pairs[p].addon, commit: commit, at: now))
        } else if ending == .applied {
            out.records.append(AppliedRecord(environment: environment, cluster: pairs[p].cluster, addon: pairs[p].addon,
                                             commit: commit, digest: pairs[p].digest, appliedAt: now))
        } else if ending != .gaveWay {
            // Its dependents must not be applied on an add-on that is not healthy.
            for q in pairs.indices where q > p && pairs[q].cluster == pairs[p].cluster && pairs[q].phase == .queued {
                pairs[q].phase = .ended(.skipped(after: pairs[p].addon))
                out.ended.append(Ended(cluster: pairs[q].cluster, addon: pairs[q].addon, ending: .skipped(after: pairs[p].addon)))
            }
        }
        startClusters(now, &out)
    }

    /// Starts the next pair of every cluster under way, and new clusters up to `concurrency`.
    private mutating func startClusters(_ now: Date, _ out: inout Output) {
        var busy = Set(pairs.filter(\.isUnderWay).map(\.cluster))
        var seen = Set<String>()
        for p in pairs.indices where pairs[p].phase == .queued && !seen.contains(pairs[p].cluster) {
            let cluster = pairs[p].cluster
            seen.insert(cluster)
            if givingWay {
                pairs[p].phase = .ended(.gaveWay)
                continue
            }
            // Its cluster's pair before it is still being corrected, or enough clusters are.
            guard !busy.contains(cluster), busy.count < concurrency else { continue }
            busy.insert(cluster)
            pairs[p].phase = .applying
            pairs[p].inFlight = true
            if pairs[p].recorded {
                out.pending.append(PendingApply(environment: environment, cluster: cluster, addon: pairs[p].addon, commit: commit))
            }
            out.actions.append(.apply(cluster: cluster, addon: pairs[p].addon))
        }
        if givingWay {
            for p in pairs.indices where pairs[p].phase == .queued { pairs[p].phase = .ended(.gaveWay) }
        }
    }

    private func index(_ cluster: String, _ addon: String) -> Int? {
        pairs.firstIndex { $0.cluster == cluster && $0.addon == addon }
    }
}

extension DirectApply.Pair {
    /// Applied and not ended: its cluster's next pair waits for it.
    var isUnderWay: Bool {
        switch phase {
        case .applying, .watching: true
        case .queued, .ended: false
        }
    }

    var isWatching: Bool { if case .watching = phase { true } else { false } }
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
