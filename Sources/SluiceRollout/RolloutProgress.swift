import Foundation

/// One cluster of the current batch.
public struct ClusterProgress: Codable, Equatable, Sendable {
    public enum Phase: Codable, Equatable, Sendable {
        /// Planned; waits for a place under `maxConcurrency`.
        case queued
        case applying
        /// Every pair recorded; post-checks may still run.
        case done
        case failed(ClusterFailure)
        /// Could not be reached; a `wait` stage re-plans it at `retryAt`.
        case unreachable(since: Date, reason: String, retryAt: Date)
        /// A `skip` stage went on without it.
        case skipped
        /// Re-applying the base commit (`onFailure: rollback`), add-on by add-on, each waited
        /// for healthy, no partition steps.
        case rollingBack
        /// The rollback is over (its outcome is in the history).
        case rolledBack

        /// The case's name, for people and the API (`failed`, `unreachable`, ...).
        public var name: String {
            switch self {
            case .queued: return "queued"
            case .applying: return "applying"
            case .done: return "done"
            case .failed: return "failed"
            case .unreachable: return "unreachable"
            case .skipped: return "skipped"
            case .rollingBack: return "rollingBack"
            case .rolledBack: return "rolledBack"
            }
        }
    }

    public var name: String
    public var phase: Phase
    /// Add-ons with something to apply or wait for.
    public var pairs: [PairProgress] = []
    /// Add-ons that were settled at plan time (recorded without an apply): names only, so
    /// that the state written after every step stays small.
    public var settled: [String] = []
    /// Everything was settled at plan time: recorded without an apply.
    public var noop = false
    /// Something was sent to the cluster in this rollout (a rollback re-applies only those).
    public var touched = false
    public var rollbackRequested = false

    public init(name: String, phase: Phase) {
        self.name = name
        self.phase = phase
    }

    // Written after every step for every cluster of a batch (hundreds): what is empty or
    // false is left out.
    enum CodingKeys: String, CodingKey { case name, phase, pairs, settled, noop, touched, rollbackRequested }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        phase = try c.decode(Phase.self, forKey: .phase)
        pairs = try c.decodeIfPresent([PairProgress].self, forKey: .pairs) ?? []
        settled = try c.decodeIfPresent([String].self, forKey: .settled) ?? []
        noop = try c.decodeIfPresent(Bool.self, forKey: .noop) ?? false
        touched = try c.decodeIfPresent(Bool.self, forKey: .touched) ?? false
        rollbackRequested = try c.decodeIfPresent(Bool.self, forKey: .rollbackRequested) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(phase, forKey: .phase)
        if !pairs.isEmpty { try c.encode(pairs, forKey: .pairs) }
        if !settled.isEmpty { try c.encode(settled, forKey: .settled) }
        if noop { try c.encode(noop, forKey: .noop) }
        if touched { try c.encode(touched, forKey: .touched) }
        if rollbackRequested { try c.encode(rollbackRequested, forKey: .rollbackRequested) }
    }

    public var isFinished: Bool {
        switch phase {
        case .done, .failed, .skipped, .rolledBack: return true
        case .queued, .applying, .rollingBack, .unreachable: return false
        }
    }

    public var hasWorkInFlight: Bool { rollbackRequested || pairs.contains { $0.inFlight } }

    /// Its pairs are being applied and waited for (at the rollout's commit, or at the base
    /// while it rolls back).
    public var movesPairs: Bool { phase == .applying || phase == .rollingBack }

    /// Without what a restart re-creates (requests in flight, poll times, progress texts).
    public var durable: ClusterProgress {
        var copy = self
        for p in copy.pairs.indices {
            copy.pairs[p].inFlight = false
            copy.pairs[p].nextPoll = nil
            copy.pairs[p].progress = nil
        }
        return copy
    }
}

/// One add-on of a cluster in the current batch.
public struct PairProgress: Codable, Equatable, Sendable {
    public enum Phase: Codable, Equatable, Sendable {
        /// Its dependencies are not recorded yet.
        case waiting
        /// Its chart hooks of one moment run: `pre` before `applying`, `post` after the last
        /// step is healthy and before `recorded`.
        case hooks(HookRun)
        case applying
        /// Partition step `step` (0-based; the last is the full rollout) is set; it fails when
        /// no pod becomes updated and ready before `deadline` (moved on by every pod that does).
        case stepping(step: Int, deadline: Date)
        case baking(step: Int, until: Date)
        /// A transient error: tried again at `at`.
        case retrying(at: Date)
        case recorded
        case failed(PairFailure)
    }

    public var addon: String
    public var dependsOn: [String]
    public var digest: String
    /// Nothing to apply or wait for: recorded at once.
    public var settled: Bool
    /// The add-on left the cluster: its objects are pruned, its record removed.
    public var removed: Bool
    /// Partition steps (1 when the add-on has none or its workloads cannot be partitioned).
    public var steps: Int
    public var stepBakeSeconds: Double?
    public var healthTimeoutSeconds: Double
    public var healthDeadlineSeconds: Double?
    /// A chart add-on's hooks before its objects are applied and after they are healthy.
    public var preHooks = 0
    public var postHooks = 0
    /// The revision its record gets (`PlannedPair.revision`).
    public var revision = 1
    /// When the current step must be complete however it progresses (`health.deadline`).
    public var stepDeadline: Date?
    /// The pods of the current step, as last seen (for status), and the most ever seen
    /// updated and ready in this step (progress is a new highest count).
    public var pods: PodCount?
    public var mostReady = 0
    public var phase: Phase = .waiting
    /// Increases with every apply, so that an answer about an earlier one is ignored.
    public var attempt = 0
    public var retries = 0
    /// A request to the cluster (apply, partition, status read) is out.
    public var inFlight = false
    public var nextPoll: Date?
    /// The last status seen, for people.
    public var progress: String?

    public init(addon: String, dependsOn: [String], digest: String, settled: Bool, removed: Bool, steps: Int,
                stepBakeSeconds: Double?, healthTimeoutSeconds: Double, healthDeadlineSeconds: Double? = nil,
                preHooks: Int = 0, postHooks: Int = 0, revision: Int = 1) {
        self.preHooks = preHooks
        self.postHooks = postHooks
        self.revision = revision
        self.addon = addon
        self.dependsOn = dependsOn
        self.digest = digest
        self.settled = settled
        self.removed = removed
        self.steps = max(1, steps)
        self.stepBakeSeconds = stepBakeSeconds
        self.healthTimeoutSeconds = healthTimeoutSeconds
        self.healthDeadlineSeconds = healthDeadlineSeconds
    }

    // Written with every cluster row (`ClusterProgress+JSON.swift`), where defaults are left
    // out; rows of the first format, with every key, read the same.
    enum CodingKeys: String, CodingKey {
        case addon, dependsOn, digest, settled, removed, steps, stepBakeSeconds, healthTimeoutSeconds, healthDeadlineSeconds, stepDeadline, pods,
             mostReady, phase, attempt, retries, inFlight, nextPoll, progress, preHooks, postHooks, revision
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        addon = try c.decode(String.self, forKey: .addon)
        dependsOn = try c.decodeIfPresent([String].self, forKey: .dependsOn) ?? []
        digest = try c.decode(String.self, forKey: .digest)
        settled = try c.decodeIfPresent(Bool.self, forKey: .settled) ?? false
        removed = try c.decodeIfPresent(Bool.self, forKey: .removed) ?? false
        steps = max(1, try c.decodeIfPresent(Int.self, forKey: .steps) ?? 1)
        stepBakeSeconds = try c.decodeIfPresent(Double.self, forKey: .stepBakeSeconds)
        healthTimeoutSeconds = try c.decode(Double.self, forKey: .healthTimeoutSeconds)
        healthDeadlineSeconds = try c.decodeIfPresent(Double.self, forKey: .healthDeadlineSeconds)
        stepDeadline = try c.decodeIfPresent(Date.self, forKey: .stepDeadline)
        pods = try c.decodeIfPresent(PodCount.self, forKey: .pods)
        mostReady = try c.decodeIfPresent(Int.self, forKey: .mostReady) ?? 0
        phase = try c.decode(Phase.self, forKey: .phase)
        attempt = try c.decodeIfPresent(Int.self, forKey: .attempt) ?? 0
        retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? 0
        inFlight = try c.decodeIfPresent(Bool.self, forKey: .inFlight) ?? false
        nextPoll = try c.decodeIfPresent(Date.self, forKey: .nextPoll)
        progress = try c.decodeIfPresent(String.self, forKey: .progress)
        preHooks = try c.decodeIfPresent(Int.self, forKey: .preHooks) ?? 0
        postHooks = try c.decodeIfPresent(Int.self, forKey: .postHooks) ?? 0
        revision = try c.decodeIfPresent(Int.self, forKey: .revision) ?? 1
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(addon, forKey: .addon)
        if !dependsOn.isEmpty { try c.encode(dependsOn, forKey: .dependsOn) }
        try c.encode(digest, forKey: .digest)
        if settled { try c.encode(settled, forKey: .settled) }
        if removed { try c.encode(removed, forKey: .removed) }
        if steps != 1 { try c.encode(steps, forKey: .steps) }
        try c.encodeIfPresent(stepBakeSeconds, forKey: .stepBakeSeconds)
        try c.encode(healthTimeoutSeconds, forKey: .healthTimeoutSeconds)
        try c.encodeIfPresent(healthDeadlineSeconds, forKey: .healthDeadlineSeconds)
        try c.encodeIfPresent(stepDeadline, forKey: .stepDeadline)
        try c.encodeIfPresent(pods, forKey: .pods)
        if mostReady != 0 { try c.encode(mostReady, forKey: .mostReady) }
        try c.encode(phase, forKey: .phase)
        if attempt != 0 { try c.encode(attempt, forKey: .attempt) }
        if retries != 0 { try c.encode(retries, forKey: .retries) }
        if inFlight { try c.encode(inFlight, forKey: .inFlight) }
        try c.encodeIfPresent(nextPoll, forKey: .nextPoll)
        try c.encodeIfPresent(progress, forKey: .progress)
        if preHooks != 0 { try c.encode(preHooks, forKey: .preHooks) }
        if postHooks != 0 { try c.encode(postHooks, forKey: .postHooks) }
        if revision != 1 { try c.encode(revision, forKey: .revision) }
    }

    public var isFinished: Bool {
        switch phase {
        case .recorded, .failed: return true
        default: return false
        }
    }
}

/// A check of the current batch: pre-checks run once per cluster (or once for the batch,
/// for `timeWindow` and `freeze`), post-checks once per finished cluster.
public struct CheckProgress: Codable, Equatable, Sendable {
    public enum Status: Codable, Equatable, Sendable { case pending, running, waiting, passed, failed }
    public var id: CheckID
    public var status: Status
    public var detail: String?
    public var retryAt: Date?
    /// Waiting for an operator (a freeze), not for time.
    public var held = false

    public init(id: CheckID, status: Status = .pending) {
        self.id = id
        self.status = status
    }
}

public struct CheckID: Codable, Hashable, Sendable {
    public enum Phase: String, Codable, Sendable { case pre, post }
    public var name: String
    public var phase: Phase
    /// Nil: the check is about the batch (a window, a freeze).
    public var cluster: String?

    public init(name: String, phase: Phase, cluster: String?) {
        self.name = name
        self.phase = phase
        self.cluster = cluster
    }
}

public struct SkippedCluster: Codable, Equatable, Sendable {
    public var name: String
    public var since: Date
    public var reason: String
}
