import SluiceCore
import SluiceModel

/// Makes the driver of a cluster whose file names a kubeconfig context. It lives in the
/// Kubernetes module (above this one); the CLI hands it to the connector.
public protocol KubernetesConnections: Sendable {
    func driver(for cluster: Cluster, context: String) async throws(DriverError) -> any ClusterDriver
}

/// Makes the driver of a simulated cluster. It lives in the simulation module, which only
/// the controller's assembly (the CLI, tests) imports.
public protocol SimulatedConnections: Sendable {
    func driver(for cluster: Cluster, connection: Cluster.SimulatedConnection) -> any ClusterDriver
    /// The custom kinds whose controllers the simulated clusters run.
    func describe(_ kinds: [WorkloadKind])
}

/// Opens the driver a cluster file's `spec.connection` names, one per cluster for the
/// connector's lifetime (a simulated cluster caches its objects, a real one its discovery).
public actor ClusterConnector: ClusterDrivers {
    private var drivers: [String: any ClusterDriver] = [:]
    private nonisolated let simulated: (any SimulatedConnections)?
    private let kubernetes: (any KubernetesConnections)?

    public init(simulated: (any SimulatedConnections)?, kubernetes: (any KubernetesConnections)? = nil) {
        self.simulated = simulated
        self.kubernetes = kubernetes
    }

    public nonisolated func describe(_ kinds: [WorkloadKind]) {
        simulated?.describe(kinds)
    }

    public func driver(for cluster: Cluster) async throws(DriverError) -> any ClusterDriver {
        if let driver = drivers[cluster.name] { return driver }
        switch cluster.connection {
        case .simulated(let connection):
            guard let simulated else {
                throw .refused("\(cluster.header.file): cluster \"\(cluster.name)\" is simulated, but this sluice runs no simulated clusters")
            }
            let driver = simulated.driver(for: cluster, connection: connection)
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
