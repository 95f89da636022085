import SluiceDrivers
import SluiceCore
/// Which simulated clusters can be reached: a test (or a demo) cuts one off and brings it
/// back, and every call to it fails as an unreachable API server's would, with a transient
/// `unavailable` error.
public actor SimulatedNetwork {
    private var cutOff: Set<String> = []

    public init() {}

    public func cut(_ cluster: String) { cutOff.insert(cluster) }
    public func heal(_ cluster: String) { cutOff.remove(cluster) }
    public func isReachable(_ cluster: String) -> Bool { !cutOff.contains(cluster) }

    func check(_ cluster: String) throws(DriverError) {
        if cutOff.contains(cluster) { throw .unavailable("cluster \(cluster): connection refused (simulated network cut)") }
    }
}
