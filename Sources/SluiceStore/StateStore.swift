import Foundation
import SluiceModel

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
    /// Newest first; nil filters match everything.
    func history(cluster: String?, addon: String?, limit: Int) throws(StoreError) -> [HistoryEvent]
    func save(_ rollout: RolloutRecord) throws(StoreError)
    func rollouts(environment: String) throws(StoreError) -> [RolloutRecord]
    func objects(cluster: String) throws(StoreError) -> [StoredObject]
    /// The objects labelled `sluice.dev/addon: <addon>` (whoever manages them).
    func objects(cluster: String, addon: String) throws(StoreError) -> [StoredObject]
    func object(cluster: String, id: ObjectKey) throws(StoreError) -> StoredObject?
    func put(_ object: StoredObject) throws(StoreError)
    func deleteObject(cluster: String, id: ObjectKey) throws(StoreError)
}

public struct AppliedRecord: Sendable, Equatable {
    public var environment: String
    public var cluster: String
    public var addon: String
    public var commit: String
    public var digest: String
    public var appliedAt: Date

    public init(environment: String, cluster: String, addon: String, commit: String, digest: String, appliedAt: Date) {
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
        self.commit = commit
        self.digest = digest
        self.appliedAt = appliedAt
    }
}

/// One line of the append-only history.
public struct HistoryEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case apply, rejection, check, operatorAction = "operator"
    }

    public var at: Date
    public var kind: Kind
    public var environment: String
    public var cluster: String?
    public var addon: String?
    public var commit: String?
    /// What happened, for people: the check's output, the rejection's errors, who paused and why.
    public var detail: String

    public init(at: Date, kind: Kind, environment: String, cluster: String? = nil, addon: String? = nil,
                commit: String? = nil, detail: String) {
        self.at = at
        self.kind = kind
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
        self.commit = commit
        self.detail = detail
    }
}

/// A rollout of one commit through one environment. The rollout engine owns the meaning of
/// `phase` and `position`; the store keeps them so a restarted controller resumes.
public struct RolloutRecord: Sendable, Equatable {
    public var id: String
    public var environment: String
    public var commit: String
    /// `running`, `paused`, `halted`, `done`, `superseded`...
    public var phase: String
    /// Where it is: stage, batch, and the engine's own state, as JSON.
    public var position: Value
    public var startedAt: Date
    public var updatedAt: Date

    public init(id: String, environment: String, commit: String, phase: String, position: Value, startedAt: Date, updatedAt: Date) {
        self.id = id
        self.environment = environment
        self.commit = commit
        self.phase = phase
        self.position = position
        self.startedAt = startedAt
        self.updatedAt = updatedAt
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

public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
