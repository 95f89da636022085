import SluiceModel
import SluiceStore

/// Opens the driver a cluster file's `spec.connection` names, one per cluster for the
/// connector's lifetime (a simulated cluster caches its objects).
public actor ClusterConnector {
    private let store: any StateStore
    private let clock: any FleetClock
    private var drivers: [String: any ClusterDriver] = [:]
    /// One writer for every simulated cluster: their writes are committed together.
    private let writer: SimulatedObjectWriter
    public nonisolated let network: SimulatedNetwork?

    public init(store: any StateStore, clock: any FleetClock, network: SimulatedNetwork? = nil) {
        self.store = store
        self.clock = clock
        self.network = network
        writer = SimulatedObjectWriter(store: store)
    }

    public func driver(for cluster: Cluster) throws(DriverError) -> any ClusterDriver {
        if let driver = drivers[cluster.name] { return driver }
        switch cluster.connection {
        case .simulated(let connection):
            let driver = SimulatedCluster(name: cluster.name, connection: connection, store: store, clock: clock, network: network,
                                          writer: writer)
            drivers[cluster.name] = driver
            return driver
        case .kubernetes:
            throw .unavailable("cluster \"\(cluster.name)\": the kubernetes driver is not built yet; use a simulated connection")
        }
    }
}
