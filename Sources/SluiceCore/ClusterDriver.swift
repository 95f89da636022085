import SluiceModel
import SluiceYAML

/// What Sluice needs of a cluster (DESIGN §6): read live objects, create, apply a JSON merge
/// patch, delete, read a workload's rollout status and set its partition. The simulated
/// driver implements it now and the Kubernetes driver later; both pass `ClusterDriverContract`.
public protocol ClusterDriver: Sendable {
    var clusterName: String { get }

    /// The live object, or nil when there is none.
    func get(_ key: ObjectKey) async throws(DriverError) -> Value?
    /// Live objects whose labels include every pair of `labels` (the way Sluice finds what
    /// it applied for an add-on, to prune what left the target).
    func list(labels: [String: String]) async throws(DriverError) -> [ObjectKey: Value]
    /// Creates the object; `conflict` when it exists.
    func create(_ object: Value, key: ObjectKey) async throws(DriverError) -> Value
    /// Applies an RFC 7386 merge patch to the live object; `notFound` when there is none.
    func patch(_ key: ObjectKey, mergePatch: Value) async throws(DriverError) -> Value
    /// Deletes the object; deleting what is not there is not an error (prune is idempotent).
    func delete(_ key: ObjectKey) async throws(DriverError)
    /// How far a workload's pods are on its current template; nil for kinds that are not
    /// workloads (a ConfigMap is healthy once it exists). `kinds`: the custom workload kinds
    /// of the commit being rolled out, which is the only place they come from.
    func workloadStatus(_ key: ObjectKey, kinds: WorkloadKinds) async throws(DriverError) -> WorkloadStatus?
    /// Holds `partition` pods at the old revision (StatefulSet semantics); 0 releases all.
    func setPartition(_ key: ObjectKey, to partition: Int, kinds: WorkloadKinds) async throws(DriverError)
    /// Whether the workload can be updated in partition steps (DESIGN §4).
    func canPartition(_ key: ObjectKey, kinds: WorkloadKinds) -> Bool

    /// Server-side validation: the object as the cluster would store it if created, nothing
    /// changed; `invalid` with the cluster's reason when its schema or admission would refuse
    /// it. nil when the driver cannot ask (the simulated one).
    func dryRunCreate(_ object: Value, key: ObjectKey) async throws(DriverError) -> Value?
    /// The same for a merge patch of a live object.
    func dryRunPatch(_ key: ObjectKey, mergePatch: Value) async throws(DriverError) -> Value?

    /// Server-side apply of the whole object as field manager `sluice` (an add-on's
    /// `apply: serverSide`), creating it when absent; `fieldConflict` when another manager
    /// owns a field it sets, unless `force`.
    func applyServerSide(_ object: Value, key: ObjectKey, force: Bool) async throws(DriverError) -> Value
    /// Its dry run; nil when the driver cannot ask.
    func dryRunApplyServerSide(_ object: Value, key: ObjectKey, force: Bool) async throws(DriverError) -> Value?

    /// The cluster's version and served API versions (chart add-ons' `.Capabilities`); nil
    /// when the driver has none to tell (a simulated cluster: its `spec.kubernetesVersion`
    /// and Helm's defaults are used). No default: a driver that wraps another must pass it on.
    func capabilities() async throws(DriverError) -> ClusterCapabilities?
}

extension ClusterDriver {
    /// Without field ownership (the simulated cluster): a create, or a merge of the object.
    public func applyServerSide(_ object: Value, key: ObjectKey, force: Bool) async throws(DriverError) -> Value {
        guard try await get(key) != nil else { return try await create(object, key: key) }
        return try await patch(key, mergePatch: object)
    }

    public func dryRunApplyServerSide(_ object: Value, key: ObjectKey, force: Bool) async throws(DriverError) -> Value? { nil }
    public func dryRunCreate(_ object: Value, key: ObjectKey) async throws(DriverError) -> Value? { nil }
    public func dryRunPatch(_ key: ObjectKey, mergePatch: Value) async throws(DriverError) -> Value? { nil }
}

/// A workload's rollout progress as its status reports it.
public struct WorkloadStatus: Sendable, Equatable {
    public var generation: Int
    public var observedGeneration: Int
    /// Pods the workload wants (replicas, or one per node for a DaemonSet).
    public var desired: Int
    /// Pods on the current template.
    public var updated: Int
    public var ready: Int
    /// Pods on the current template that are ready.
    public var updatedReady: Int
    /// Pods held at the old revision.
    public var partition: Int

    public init(generation: Int, observedGeneration: Int, desired: Int, updated: Int, ready: Int, updatedReady: Int, partition: Int) {
        self.generation = generation
        self.observedGeneration = observedGeneration
        self.desired = desired
        self.updated = updated
        self.ready = ready
        self.updatedReady = updatedReady
        self.partition = partition
    }

    /// The step the partition allows is done: the status is current and every pod that may
    /// be updated is updated and ready.
    public var isStepComplete: Bool {
        observedGeneration >= generation && updatedReady >= max(0, desired - partition)
    }

    /// Fully rolled out: partition released, every pod updated and ready.
    public var isHealthy: Bool {
        partition == 0 && isStepComplete && ready >= desired
    }
}

public enum DriverError: Error, Equatable, CustomStringConvertible, Sendable {
    case notFound(ObjectKey)
    case conflict(ObjectKey)
    case invalid(ObjectKey, String)
    /// Server-side apply: fields another field manager owns; the message names the owner.
    case fieldConflict(ObjectKey, String)
    /// The cluster does not serve the object's kind (its CustomResourceDefinition is not installed).
    case kindNotServed(ObjectKey)
    /// The cluster could not be reached or answered with an error.
    case unavailable(String)
    /// The cluster refused Sluice itself (credentials, permissions, a kubeconfig that does
    /// not name it): trying again will not help until an operator acts.
    case refused(String)

    /// Worth retrying with backoff (the cluster may come back); the others fail at once.
    public var isTransient: Bool {
        if case .unavailable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .notFound(let key): return "\(key) not found"
        case .conflict(let key): return "\(key) already exists"
        case .invalid(let key, let why): return "\(key): \(why)"
        case .fieldConflict(let key, let why): return "\(key): \(why) (set forceConflicts: true in addon.yaml to take the fields over)"
        case .kindNotServed(let key):
            let kind = key.group.isEmpty ? key.kind : "\(key.kind).\(key.group)"
            return "\(key): the cluster does not serve \(kind)" + (key.group.contains(".") ? "; is its CustomResourceDefinition installed?" : "")
        case .unavailable(let why): return "cluster unavailable: \(why)"
        case .refused(let why): return "cluster refused: \(why)"
        }
    }
}
