import Foundation
import SluiceCore

/// One event of the history as `sluice history -o json` and `GET /api/v1/history` give it.
public struct HistoryEntry: Codable, Sendable, Equatable {
    public var at: Date
    public var kind: String
    public var environment: String
    public var cluster: String?
    public var addon: String?
    public var commit: String?
    public var detail: String
    /// What happened, typed (absent in events recorded before outcomes were).
    public var outcome: String?

    public init(_ event: HistoryEvent) {
        at = event.at
        kind = event.kind.rawValue
        environment = event.environment
        cluster = event.cluster
        addon = event.addon
        commit = event.commit
        detail = event.detail
        outcome = event.outcome?.rawValue
    }
}
