import Foundation

/// What an operator asked of an environment (`sluice pause|resume|approve`); the controller
/// acts on it at the next batch boundary and marks it consumed in the same transaction.
public struct OperatorCommand: Sendable, Equatable {
    public enum Verb: String, Sendable, CaseIterable { case pause, resume, approve }
    public typealias ID = Int64
    public var id: ID
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
