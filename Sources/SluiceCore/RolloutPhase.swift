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
