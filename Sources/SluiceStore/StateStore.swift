import Foundation
import SluiceCore
import SluiceModel
import SluiceYAML

/// What Sluice remembers between runs (DESIGN §2 step 4, §7): for every (environment,
/// cluster, add-on) the commit applied, the digest of what it rendered to and when; an
/// append-only history; rollout state; operator commands, freezes and drift; and one writer
/// per environment. The recorded commit *is* the last-applied spec: the planner re-renders it
/// from Git, so no manifest is stored here (simulated clusters keep theirs apart:
/// `SluiceSimulation`).
///
/// One protocol per concern, all async (a store on a network answers late, and one on a disk
/// must not block Swift's cooperative threads); `StateStore` is all of them. Every store runs
/// the contract suite (`StateStoreContract` in the tests), and says what went wrong in
/// `StoreError.Kind`, which tells the caller whether to try again.
public protocol StateStore: AppliedRecords, History, Rollouts, OperatorCommands, Freezes, DriftFindings, WriterLeases {}

/// What each cluster has applied, and the applies started and not yet recorded.
public protocol AppliedRecords: AppliedRecordSource {
    func applied(environment: String, cluster: String, addon: String) async throws(StoreError) -> AppliedRecord?
    /// Every record of an environment, sorted by cluster then add-on.
    func applied(environment: String) async throws(StoreError) -> [AppliedRecord]
    /// Every record, sorted by environment, cluster, add-on.
    func applied() async throws(StoreError) -> [AppliedRecord]
    /// Records several applies in one transaction (a cluster's unchanged add-ons), each with
    /// its history event, all or none.
    func recordApply(_ records: [AppliedRecord]) async throws(StoreError)
    /// Forgets an add-on that left a cluster (its objects were pruned at `commit`), with a
    /// history event, both or neither.
    func removeApplied(environment: String, cluster: String, addon: String, commit: String, at time: Date) async throws(StoreError)
    /// The pending marks of an environment: applies started and not recorded.
    func pending(environment: String) async throws(StoreError) -> [PendingApply]
}

/// The append-only history.
public protocol History: Sendable {
    func append(_ event: HistoryEvent) async throws(StoreError)
    /// Newest first.
    func history(_ filter: HistoryFilter) async throws(StoreError) -> [HistoryEvent]
}

/// Rollouts, written one step at a time.
public protocol Rollouts: Sendable {
    /// Writes one rollout step (state, records, marks, history, consumed commands), all or none.
    func commit(_ transition: StoreTransition) async throws(StoreError)
    /// The environment's newest rollout that was not rejected (the one under way, or the
    /// last one to run), with its cluster rows, as one snapshot.
    func rollout(environment: String) async throws(StoreError) -> RolloutRecord?
    /// The environment's rollouts, rejected ones included, newest first.
    func rollouts(environment: String, limit: Int) async throws(StoreError) -> [RolloutRecord]
    /// The environment's newest rollout in `phase` (without its cluster rows), however old.
    func lastRollout(environment: String, phase: RolloutPhase) async throws(StoreError) -> RolloutRecord?
}

/// What operators asked (`sluice pause|resume|approve`), until a rollout step consumes it.
public protocol OperatorCommands: Sendable {
    /// Queues an operator command; returns its id.
    @discardableResult func enqueue(_ command: OperatorCommand) async throws(StoreError) -> Int64
    /// Commands not yet acted on, oldest first.
    func commands(environment: String) async throws(StoreError) -> [OperatorCommand]
}

/// Operators' freezes of environments.
public protocol Freezes: Sendable {
    /// Sets (or with nil lifts) an operator's freeze of an environment, with a history event.
    func setFreeze(environment: String, to freeze: FreezeRecord?, event: HistoryEvent) async throws(StoreError)
    func freeze(environment: String) async throws(StoreError) -> FreezeRecord?
}

/// What the last re-sync of each environment found (written by `commit`, `StoreTransition.drift`).
public protocol DriftFindings: Sendable {
    func drift(environment: String) async throws(StoreError) -> [DriftFinding]
}

/// One writer per environment.
public protocol WriterLeases: Sendable {
    /// Takes the one-writer lease of an environment (held until it is released);
    /// `.environmentLocked` when another holds it.
    func lockEnvironment(_ environment: String, holder: String) async throws(StoreError) -> any WriterLease
}

extension AppliedRecords {
    /// Records an apply and appends it to the history, both or neither.
    public func recordApply(_ record: AppliedRecord) async throws(StoreError) {
        try await recordApply([record])
    }
}

extension History {
    /// Newest first; nil filters match everything.
    public func history(cluster: String?, addon: String?, limit: Int) async throws(StoreError) -> [HistoryEvent] {
        try await history(HistoryFilter(cluster: cluster, addon: addon, limit: limit))
    }
}

/// A rollout of one commit through one environment. `state` is the rollout engine's typed
/// state, encoded as JSON in the encoding version `format`; the engine refuses a format newer
/// than it knows, as the store refuses a newer schema.
public struct RolloutRecord: Sendable, Equatable {
    public var id: String
    public var environment: String
    public var commit: String
    public var phase: RolloutPhase
    public var format: Int
    public var state: [UInt8]
    /// What does not change during the rollout (its batches), written with its first step
    /// only; empty in a record to save means "keep the one stored".
    public var blueprint: [UInt8]
    /// The state of each cluster of the current batch, in order: kept in rows of their own,
    /// so that a step writes only the clusters it changed.
    public var clusters: [[UInt8]] = []
    public var startedAt: Date
    public var updatedAt: Date

    public init(id: String, environment: String, commit: String, phase: RolloutPhase, format: Int, state: [UInt8],
                blueprint: [UInt8] = [], startedAt: Date, updatedAt: Date) {
        self.id = id
        self.environment = environment
        self.commit = commit
        self.phase = phase
        self.format = format
        self.state = state
        self.blueprint = blueprint
        self.startedAt = startedAt
        self.updatedAt = updatedAt
    }
}

/// Everything one step of a rollout writes, in one transaction: the new rollout state, the
/// records of pairs that became healthy, the marks of applies about to start, history, and the
/// operator commands it acted on. The controller writes it before it performs the step's
/// actions, which is what makes a `kill -9` at any point safe.
public struct StoreTransition: Sendable, Equatable {
    public var rollout: RolloutRecord?
    /// Cluster rows of `rollout` to write: (position, state). With `replacesClusters`, every
    /// row of the rollout is replaced by these (a new batch); otherwise they are upserted.
    public var clusterRows: [ClusterRow] = []
    public var replacesClusters = false
    public var records: [AppliedRecord] = []
    public var removals: [AppliedRemoval] = []
    public var pending: [PendingApply] = []
    public var history: [HistoryEvent] = []
    public var consumedCommands: [Int64] = []
    /// What a re-sync found, replacing an environment's earlier findings (as `replaceDrift`).
    public var drift: DriftReplacement?

    public init(rollout: RolloutRecord? = nil) { self.rollout = rollout }

    public var isEmpty: Bool {
        rollout == nil && records.isEmpty && removals.isEmpty && pending.isEmpty && history.isEmpty && consumedCommands.isEmpty
            && drift == nil
    }
}

/// An environment's drift findings, written whole.
public struct DriftReplacement: Sendable, Equatable {
    public var environment: String
    public var findings: [DriftFinding]

    public init(environment: String, findings: [DriftFinding]) {
        self.environment = environment
        self.findings = findings
    }
}

/// One cluster of a rollout's current batch, as the store keeps it.
public struct ClusterRow: Sendable, Equatable {
    public var position: Int
    public var cluster: String
    public var state: [UInt8]

    public init(position: Int, cluster: String, state: [UInt8]) {
        self.position = position
        self.cluster = cluster
        self.state = state
    }
}

/// Which history events to read; nil matches everything.
public struct HistoryFilter: Sendable {
    public var environment: String?
    public var cluster: String?
    public var addon: String?
    public var since: Date?
    public var limit: Int

    public init(environment: String? = nil, cluster: String? = nil, addon: String? = nil, since: Date? = nil, limit: Int = 1_000) {
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
        self.since = since
        self.limit = limit
    }
}
