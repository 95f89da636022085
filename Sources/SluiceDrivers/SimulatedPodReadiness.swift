import SluiceCore

/// A simulated cluster answers a check's HTTP probe itself (its pods are not on a network):
/// how many of the pods Sluice manages are ready, of how many wanted.
public protocol SimulatedPodReadiness: Sendable {
    func podReadiness() async throws(DriverError) -> (ready: Int, desired: Int)
}
