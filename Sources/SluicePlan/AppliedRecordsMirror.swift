import SluiceCore

/// The store's records kept in memory between plans (the controller's, shared by its
/// runners): each plan asks the store only for what changed since the last one
/// (`appliedChanges(since:)`), instead of reading every record (400,000 rows at 1,000
/// clusters x 400 add-ons take a third of a plan). What a plan gets is as fresh as a full
/// read: the store is asked every time, and a store that cannot answer fails the plan.
public actor AppliedRecordsMirror {
    private var version: Int64 = 0
    /// By environment and cluster, each cluster's sorted by add-on.
    private var byCluster: [String: [String: ArraySlice<AppliedRecord>]] = [:]
    /// How many records name each commit (the commits a plan compares with).
    private var commitCounts: [String: Int] = [:]

    public init() {}

    public func records(from store: any AppliedRecordSource) async throws(PlanError) -> FleetPlanner.Records {
        let asked = version
        let changes: AppliedChanges
        do { changes = try await store.appliedChanges(since: asked) } catch { throw .store(error.description) }
        // Another plan may have brought the mirror further while this one waited.
        if changes.complete || changes.version > version {
            apply(changes)
        }
        return FleetPlanner.Records(byCluster: byCluster, commits: Set(commitCounts.keys))
    }

    private func apply(_ changes: AppliedChanges) {
        version = changes.version
        if changes.complete {
            byCluster = FleetPlanner.group(changes.records).byCluster
            commitCounts = [:]
            for record in changes.records { commitCounts[record.commit, default: 0] += 1 }
            return
        }
        var touched: [String: [String: [String: AppliedRecord?]]] = [:]
        for key in changes.removed { touched[key.environment, default: [:]][key.cluster, default: [:]][key.addon] = .some(nil) }
        for record in changes.records { touched[record.environment, default: [:]][record.cluster, default: [:]][record.addon] = record }
        for (environment, clusters) in touched {
            for (cluster, addons) in clusters {
                var merged: [String: AppliedRecord] = [:]
                for record in byCluster[environment]?[cluster] ?? [] { merged[record.addon] = record }
                for (addon, change) in addons {
                    if let old = merged[addon] { count(old.commit, by: -1) }
                    merged[addon] = change
                    if let change { count(change.commit, by: 1) }
                }
                let sorted = merged.values.sorted { $0.addon < $1.addon }
                if sorted.isEmpty {
                    byCluster[environment]?[cluster] = nil
                    if byCluster[environment]?.isEmpty == true { byCluster[environment] = nil }
                } else {
                    byCluster[environment, default: [:]][cluster] = ArraySlice(sorted)
                }
            }
        }
    }

    private func count(_ commit: String, by delta: Int) {
        let count = (commitCounts[commit] ?? 0) + delta
        commitCounts[commit] = count > 0 ? count : nil
    }
}
