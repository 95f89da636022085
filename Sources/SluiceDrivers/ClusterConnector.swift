import SluiceModel
import SluiceStore

/// Makes the driver of a cluster whose file names a kubeconfig context. It lives in the
/// Kubernetes module (above this one); the CLI hands it to the connector.
public protocol KubernetesConnections: Sendable {
    func driver(for cluster: Cluster, context: String) async throws(DriverError) -> any ClusterDriver
}

/// Opens the driver a cluster file's `spec.connection` names, one per cluster for the
/// connector's lifetime (a simulated cluster caches its objects, a real one its discovery).
public actor ClusterConnector {
    private let store: any StateStore
    private let clock: any FleetClock
    private var drivers: [String: any ClusterDriver] = [:]
    /// One writer for every simulated cluster: their writes are committed together.
    private let writer: SimulatedObjectWriter
    public nonisolated let network: SimulatedNetwork?
    /// The custom kinds whose controllers the simulated clusters run (their pods move by them).
    public nonisolated let workloads = WorkloadKindRegistry()
    private let kubernetes: (any KubernetesConnections)?

    public init(store: any StateStore, clock: any FleetClock, network: SimulatedNetwork? = nil,
                kubernetes: (any KubernetesConnections)? = nil) {
        self.store = store
        self.clock = clock
        self.network = network
        self.kubernetes = kubernetes
        writer = SimulatedObjectWriter(store: store)
    }

    public func driver(for cluster: Cluster) async throws(DriverError) -> any ClusterDriver {
        if let driver = drivers[cluster.name] { return driver }
        switch cluster.connection {
        case .simulated(let connection):
            let driver = SimulatedCluster(name: cluster.name, connection: connection, store: store, clock: clock, network: network,
                                          writer: writer, workloads: workloads)
            drivers[cluster.name] = driver
            return driver
        case .kubernetes(let context):
            guard let kubernetes else {
                throw .refused("\(cluster.header.file): cluster \"\(cluster.name)\" names kubeconfig context \"\(context)\", but no kubeconfig was loaded")
            }
            let driver = try await kubernetes.driver(for: cluster, context: context)
            // Another caller may have opened it while this one waited.
            if let opened = drivers[cluster.name] { return opened }
            drivers[cluster.name] = driver
            return driver
        }
    }
}
