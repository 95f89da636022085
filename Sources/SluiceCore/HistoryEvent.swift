import Foundation

/// One line of the append-only history.
public struct HistoryEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case apply, rejection, check, operatorAction = "operator", rollout, drift, notification
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
