import Foundation
import SluiceModel
import SluiceYAML

/// What Sluice remembers between runs (DESIGN §2 step 4, §7): for every (environment,
/// cluster, add-on) the commit applied, the digest of what it rendered to and when; an
/// append-only history; rollout state; and the objects of simulated clusters. The recorded
/// commit *is* the last-applied spec: the planner re-renders it from Git, so no manifest is
/// stored here except a simulated cluster's live objects.
public protocol StateStore: Sendable {
    func applied(environment: String, cluster: String, addon: String) throws(StoreError) -> AppliedRecord?
    /// Every record of an environment, sorted by cluster then add-on.
    func applied(environment: String) throws(StoreError) -> [AppliedRecord]
    /// Every record, sorted by environment, cluster, add-on.
    func applied() throws(StoreError) -> [AppliedRecord]
    /// Records an apply and appends it to the history, both or neither.
    func recordApply(_ record: AppliedRecord) throws(StoreError)
    /// Records several applies in one transaction (a cluster's unchanged add-ons), all or none.
    func recordApply(_ records: [AppliedRecord]) throws(StoreError)
    /// Forgets an add-on that left a cluster (its objects were pruned at `commit`), with a
    /// history event, both or neither.
    func removeApplied(environment: String, cluster: String, addon: String, commit: String, at time: Date) throws(StoreError)
    func append(_ event: HistoryEvent) throws(StoreError)
    /// Newest first.
    func history(_ filter: HistoryFilter) throws(StoreError) -> [HistoryEvent]
    /// Writes one rollout step (state, records, marks, history, consumed commands), all or none.
    func commit(_ transition: StoreTransition) throws(StoreError)
    /// The environment's newest rollout that was not rejected (the one under way, or the
    /// last one to run).
    func rollout(environment: String) throws(StoreError) -> RolloutRecord?
    /// The environment's rollouts, rejected ones included, newest first.
    func rollouts(environment: String, limit: Int) throws(StoreError) -> [RolloutRecord]
    /// The environment's newest rollout in `phase` (without its cluster rows), however old.
    func lastRollout(environment: String, phase: RolloutPhase) throws(StoreError) -> RolloutRecord?
    /// The pending marks of an environment: applies started and not recorded.
    func pending(environment: String) throws(StoreError) -> [PendingApply]
    /// Queues an operator command; returns its id.
    @discardableResult func enqueue(_ command: OperatorCommand) throws(StoreError) -> Int64
    /// Commands not yet acted on, oldest first.
    func commands(environment: String) throws(StoreError) -> [OperatorCommand]
    /// Sets (or with nil lifts) an operator's freeze of an environment, with a history event.
    func setFreeze(environment: String, to freeze: FreezeRecord?, event: HistoryEvent) throws(StoreError)
    func freeze(environment: String) throws(StoreError) -> FreezeRecord?
    /// Replaces what the last re-sync of an environment found, with its history events.
    func replaceDrift(environment: String, with findings: [DriftFinding], events: [HistoryEvent]) throws(StoreError)
    func drift(environment: String) throws(StoreError) -> [DriftFinding]
    /// The audit log of simulated clusters (written by `put` and `deleteObject`).
    func calls(cluster: String?) throws(StoreError) -> [SimulatedCall]
    func objects(cluster: String) throws(StoreError) -> [StoredObject]
    /// The objects labelled `sluice.dev/addon: <addon>` (whoever manages them).
    func objects(cluster: String, addon: String) throws(StoreError) -> [StoredObject]
    func object(cluster: String, id: ObjectKey) throws(StoreError) -> StoredObject?
    /// Writes simulated clusters' objects, in order and in one transaction, each with the
    /// audit-log entry of the call that made it (a call is on record exactly when its effect is).
    func write(_ changes: [ObjectChange]) throws(StoreError)
    /// Takes the one-writer lock of an environment (held until the lock is released);
    /// `.environmentLocked` when another process holds it.
    func lockEnvironment(_ environment: String, holder: String) throws(StoreError) -> EnvironmentLock
}

extension StateStore {
    public func put(_ object: StoredObject, logging call: SimulatedCall? = nil) throws(StoreError) {
        try write([ObjectChange(.put(object), logging: call)])
    }
    public func deleteObject(cluster: String, id: ObjectKey, logging call: SimulatedCall? = nil) throws(StoreError) {
        try write([ObjectChange(.delete(cluster: cluster, id: id), logging: call)])
    }

    /// Newest first; nil filters match everything.
    public func history(cluster: String?, addon: String?, limit: Int) throws(StoreError) -> [HistoryEvent] {
        try history(HistoryFilter(cluster: cluster, addon: addon, limit: limit))
    }
}

public struct AppliedRecord: Sendable, Equatable {
    public var environment: String
    public var cluster: String
    public var addon: String
    public var commit: String
    public var digest: String
    public var appliedAt: Date
    /// A commit whose apply started on this pair after `commit` and was not recorded (see
    /// `PendingApply`): the live objects may differ from the record.
    public var pending: String?

    public init(environment: String, cluster: String, addon: String, commit: String, digest: String, appliedAt: Date,
                pending: String? = nil) {
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
        self.commit = commit
        self.digest = digest
        self.appliedAt = appliedAt
        self.pending = pending
    }
}

/// One line of the append-only history.
public struct HistoryEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case apply, rejection, check, operatorAction = "operator", rollout, drift
    }

    public var at: Date
    public var kind: Kind
    public var environment: String
    public var cluster: String?
    public var addon: String?
    public var commit: String?
    /// What happened, for people: the check's output, the rejection's errors, who paused and why.
    public var detail: String
    /// What happened, for programs; nil in events written before outcomes were recorded.
    public var outcome: HistoryOutcome?

    public init(at: Date, kind: Kind, environment: String, cluster: String? = nil, addon: String? = nil,
                commit: String? = nil, detail: String, outcome: HistoryOutcome? = nil) {
        self.outcome = outcome
        self.at = at
        self.kind = kind
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
        self.commit = commit
        self.detail = detail
    }
}

/// The phase of a rollout as the store, `status` and `--until-idle` see it. The rollout
/// engine keeps the details in its own typed state (`RolloutRecord.state`).
public enum RolloutPhase: String, Sendable, Codable, CaseIterable {
    /// Moving, or waiting for something that comes by itself (a bake, a window, pods).
    case running
    /// Stopped by `sluice pause`; moves on `sluice resume`.
    case paused
    /// Waiting for `sluice approve`.
    case awaitingApproval
    /// Failures beyond `maxFailures`: no new batch starts until `sluice resume` or a newer commit.
    case halted
    /// Every cluster of the environment recorded the commit.
    case done
    /// A newer commit replaced it.
    case superseded
    /// The commit is invalid: nothing of it was applied.
    case rejected

    /// Nothing more happens to a rollout in this phase.
    public var isFinal: Bool { self == .done || self == .superseded || self == .rejected }
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

/// What an operator asked of an environment (`sluice pause|resume|approve`); the controller
/// acts on it at the next batch boundary and marks it consumed in the same transaction.
public struct OperatorCommand: Sendable, Equatable {
    public enum Verb: String, Sendable, CaseIterable { case pause, resume, approve }
    public var id: Int64
    public var environment: String
    public var verb: Verb
    /// The OS user who gave it.
    public var user: String
    public var reason: String
    public var at: Date
    /// What an approval approves: the rollout of this commit (full id) ...
    public var commit: String?
    /// ... at this stage (nil: the next stage of that commit that waits for one).
    public var stage: String?

    public init(id: Int64 = 0, environment: String, verb: Verb, user: String, reason: String, at: Date,
                commit: String? = nil, stage: String? = nil) {
        self.id = id
        self.environment = environment
        self.verb = verb
        self.user = user
        self.reason = reason
        self.at = at
        self.commit = commit
        self.stage = stage
    }
}

/// A freeze set with `sluice freeze ENV` (beside the freezes policies set).
public struct FreezeRecord: Sendable, Equatable {
    public var environment: String
    public var user: String
    public var reason: String
    public var at: Date

    public init(environment: String, user: String, reason: String, at: Date) {
        self.environment = environment
        self.user = user
        self.reason = reason
        self.at = at
    }
}

/// An apply that has started on a pair but is not recorded yet: the live objects may be
/// anywhere between the recorded commit and `commit`, so the next plan must render the pair
/// instead of trusting its record (a failed or interrupted apply leaves this mark).
public struct PendingApply: Sendable, Equatable {
    public var environment: String
    public var cluster: String
    public var addon: String
    public var commit: String

    public init(environment: String, cluster: String, addon: String, commit: String) {
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
        self.commit = commit
    }
}

/// An add-on that left a cluster (its objects were pruned at `commit`).
public struct AppliedRemoval: Sendable, Equatable {
    public var environment: String
    public var cluster: String
    public var addon: String
    public var commit: String
    public var at: Date

    public init(environment: String, cluster: String, addon: String, commit: String, at: Date) {
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
        self.commit = commit
        self.at = at
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

    public init(rollout: RolloutRecord? = nil) { self.rollout = rollout }

    public var isEmpty: Bool {
        rollout == nil && records.isEmpty && removals.isEmpty && pending.isEmpty && history.isEmpty && consumedCommands.isEmpty
    }
}

/// A recorded pair whose live objects differ from its recorded commit, as a re-sync found it.
public struct DriftFinding: Sendable, Equatable, Codable {
    public var cluster: String
    public var addon: String
    public var commit: String
    /// The objects that drifted, and how (for people; never a secret value).
    public var detail: String
    public var at: Date
    /// The re-sync applied the recorded commit again (`drift: correct`).
    public var corrected: Bool

    public init(cluster: String, addon: String, commit: String, detail: String, at: Date, corrected: Bool) {
        self.cluster = cluster
        self.addon = addon
        self.commit = commit
        self.detail = detail
        self.at = at
        self.corrected = corrected
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

/// A mutating call a simulated cluster received (its audit log, as an API server keeps one):
/// `historyMark` is the newest history event at the time, so a test can tell whether a pair
/// was applied again after its record.
public struct SimulatedCall: Sendable, Equatable {
    public enum Verb: String, Sendable { case create, patch, delete, partition }
    public var cluster: String
    public var verb: Verb
    public var key: ObjectKey
    public var addon: String
    /// The object's `sluice.dev/commit` annotation after the call.
    public var commit: String
    public var historyMark: Int64

    public init(cluster: String, verb: Verb, key: ObjectKey, addon: String, commit: String, historyMark: Int64 = 0) {
        self.cluster = cluster
        self.verb = verb
        self.key = key
        self.addon = addon
        self.commit = commit
        self.historyMark = historyMark
    }
}

/// A live object of a simulated cluster.
public struct StoredObject: Sendable, Equatable {
    public var cluster: String
    public var id: ObjectKey
    public var body: Value

    public init(cluster: String, id: ObjectKey, body: Value) {
        self.cluster = cluster
        self.id = id
        self.body = body
    }
}

/// One write to a simulated cluster's objects, with the call that made it, if any.
public struct ObjectChange: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case put(StoredObject)
        case delete(cluster: String, id: ObjectKey)
    }
    public var operation: Operation
    public var call: SimulatedCall?

    public init(_ operation: Operation, logging call: SimulatedCall? = nil) {
        self.operation = operation
        self.call = call
    }
}

public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, as far as the caller can act on it.
    public enum Kind: Sendable, Equatable {
        /// The file is empty or is not a Sluice state store: refused, never taken as empty.
        case notAStore
        /// The file fails SQLite's integrity check, or SQLite found damage reading it.
        case damaged
        /// The file (or its folder, where SQLite keeps its journal) cannot be written.
        case readOnly
        /// Another process held the database past the busy timeout: try again.
        case busy
        /// Another sluice writes this environment (`holder` says who).
        case environmentLocked(holder: String)
        /// The store file has several names (hard links), so it cannot be locked as one store.
        case linked(names: Int)
        /// A newer sluice wrote the store: this one does not read it (upgrade).
        case newerSchema(Int)
        case other
    }

    public var kind: Kind
    public var description: String

    public init(_ description: String, kind: Kind = .other) {
        self.description = description
        self.kind = kind
    }

    /// Worth trying again as it is (nothing about the store is wrong).
    public var isTransient: Bool { kind == .busy }
}
