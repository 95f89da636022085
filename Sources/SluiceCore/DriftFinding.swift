import Foundation

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
