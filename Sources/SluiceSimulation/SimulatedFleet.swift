import SluiceCore
import SluiceDrivers
import SluiceModel

/// The simulated clusters of a connector: they share one object store and one writer (their
/// writes are committed together), one network (a test cuts clusters off it) and the custom
/// workload kinds whose controllers they run.
public final class SimulatedFleet: SimulatedConnections {
    private let objects: any SimulatedObjectStore
    private let clock: any FleetClock
    private let writer: SimulatedObjectWriter
    public let network: SimulatedNetwork?
    /// The custom kinds whose controllers the simulated clusters run (their pods move by them).
    public let workloads = WorkloadKindRegistry()
    /// Other processes write these objects too (replicas sharing a file): nothing is cached.
    private let shared: Bool

    public init(objects: any SimulatedObjectStore, clock: any FleetClock, network: SimulatedNetwork? = nil, shared: Bool = false) {
        self.shared = shared
        self.objects = objects
        self.clock = clock
        self.network = network
        writer = SimulatedObjectWriter(store: objects)
    }

    public func driver(for cluster: Cluster, connection: Cluster.SimulatedConnection) -> any ClusterDriver {
        SimulatedCluster(name: cluster.name, connection: connection, store: objects, clock: clock, network: network,
                         writer: writer, workloads: workloads, caches: !shared)
    }

    public func describe(_ kinds: [WorkloadKind]) {
        workloads.register(kinds)
    }
}

extension ClusterConnector {
    /// A connector whose simulated clusters keep their objects in `objects`.
    /// `shared`: other processes write the same objects (replicas of the controller).
    public init(objects: any SimulatedObjectStore, clock: any FleetClock, network: SimulatedNetwork? = nil,
                kubernetes: (any KubernetesConnections)? = nil, shared: Bool = false) {
        self.init(simulated: SimulatedFleet(objects: objects, clock: clock, network: network, shared: shared), kubernetes: kubernetes)
    }
}
