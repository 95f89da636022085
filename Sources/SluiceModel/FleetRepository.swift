import SluiceGit

/// A fleet repo at one commit, as typed values. Built by `FleetLoader`; every reference
/// between its objects has been checked by `FleetValidator` when loading succeeds.
public struct FleetRepository: Sendable {
    public var commit: ObjectID?
    /// The commit's time (committer's, seconds since 1970); nil for a working directory.
    /// Chart add-ons' `now` is this time.
    public var commitTime: Int64?
    public var fleet: Fleet
    public var addons: [String: Addon]

    /// Every custom workload kind the add-ons describe (the first add-on by name wins a kind
    /// two describe), as the table drivers look kinds up in.
    public var customWorkloads: WorkloadKinds { WorkloadKinds(addons.keys.sorted().flatMap { addons[$0]?.workloads ?? [] }) }
    public var releases: [String: AddonRelease]
    public var clusters: [String: Cluster]
    public var pipelines: [String: Pipeline]
    /// Shipped defaults first, then the repo's own.
    public var policies: [Policy]

    /// Cluster names, sorted.
    public var clusterNames: [String] { clusters.keys.sorted() }

    /// The one environment whose selector matches the cluster's labels.
    public func environment(of cluster: Cluster) -> Fleet.Environment? {
        let labels = cluster.labels
        let matching = fleet.environments.filter { $0.clusters.matches(labels) }
        return matching.count == 1 ? matching[0] : nil
    }

    /// The clusters of an environment, sorted by name.
    public func clusters(in environment: Fleet.Environment) -> [Cluster] {
        clusterNames.compactMap { clusters[$0] }
            .filter { self.environment(of: $0)?.name.value == environment.name.value }
    }

    /// The add-ons a cluster runs: those of its release minus its disabled ones, in release order.
    public func installedAddons(of cluster: Cluster) -> [String] {
        guard let release = releases[cluster.release.value] else { return [] }
        let disabled = Set(cluster.disabledAddons.map(\.value))
        return release.entries.map(\.addon.value).filter { !disabled.contains($0) && addons[$0] != nil }
    }

    /// Every dangerous-field rule: policies first, then the add-on's own.
    public func dangerousFields(for addon: String) -> [DangerousField] {
        policies.flatMap(\.dangerousFields) + (addons[addon]?.dangerousFields ?? [])
    }
}
