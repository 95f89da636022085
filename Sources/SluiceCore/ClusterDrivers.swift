import SluiceModel

/// Where the planner, the checks and the controller get a cluster's driver: the connector
/// below the controller implements it (simulated or Kubernetes, by the cluster file's
/// `spec.connection`); the planner sees only this.
public protocol ClusterDrivers: Sendable {
    /// The driver of `cluster`, opened once and kept (`.refused` when its connection cannot
    /// be made, `.unreachable` when it cannot be reached now).
    func driver(for cluster: Cluster) async throws(DriverError) -> any ClusterDriver
    /// The custom workload kinds a commit describes, so simulated clusters run their
    /// controllers (their pods move by them). Judging health always takes the kinds of the
    /// commit being rolled out, passed with each driver call.
    func describe(_ kinds: [WorkloadKind])
}

/// The applied records the planner reads (every record, sorted by environment, cluster and
/// add-on): the state store implements it.
public protocol AppliedRecordSource: Sendable {
    func applied() async throws(StoreError) -> [AppliedRecord]
    /// The records written and removed since `version` (0: every record).
    func appliedChanges(since version: Int64) async throws(StoreError) -> AppliedChanges
}
