import Foundation

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
    /// How many applies changed what the pair renders, the first included: Helm's release
    /// revision (`.Release.Revision` of a chart add-on). 1 for records older than the count.
    public var revision: Int

    public init(environment: String, cluster: String, addon: String, commit: String, digest: String, appliedAt: Date,
                pending: String? = nil, revision: Int = 1) {
        self.revision = revision
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
        self.commit = commit
        self.digest = digest
        self.appliedAt = appliedAt
        self.pending = pending
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

/// One (environment, cluster, add-on) pair.
public struct PairKey: Sendable, Hashable {
    public var environment: String
    public var cluster: String
    public var addon: String

    public init(environment: String, cluster: String, addon: String) {
        self.environment = environment
        self.cluster = cluster
        self.addon = addon
    }
}

/// What changed among the records since a version the store gave before: the records
/// written (new, re-recorded or marked pending) and the pairs removed, as of `version`. A
/// reader that keeps the records in memory asks with its version and applies the changes;
/// `complete` says `records` is every record (the version asked for was not one the store
/// can answer from: 0, or one it never gave).
public struct AppliedChanges: Sendable, Equatable {
    public var version: Int64
    public var complete: Bool
    /// Sorted by environment, cluster, add-on.
    public var records: [AppliedRecord]
    public var removed: [PairKey]

    public init(version: Int64, complete: Bool, records: [AppliedRecord] = [], removed: [PairKey] = []) {
        self.version = version
        self.complete = complete
        self.records = records
        self.removed = removed
    }
}
