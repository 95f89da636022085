import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel

/// Opens a `KubernetesCluster` for each cluster file's context, from the kubeconfig of the
/// machine Sluice runs on (loaded once, by `KubeconfigLoader`). A context that is missing or
/// whose credentials cannot be read is refused with the cluster file and the context named.
public struct KubeconfigConnections: KubernetesConnections {
    private let kubeconfig: Result<Kubeconfig, KubeconfigError>
    private let clock: any FleetClock
    public var timeoutMilliseconds = 30_000

    public init(loader: KubeconfigLoader, clock: any FleetClock) {
        kubeconfig = Result { () throws(KubeconfigError) in try loader.load() }
        self.clock = clock
    }

    public init(kubeconfig: Kubeconfig, clock: any FleetClock) {
        self.kubeconfig = .success(kubeconfig)
        self.clock = clock
    }

    public func driver(for cluster: Cluster, context: String) async throws(DriverError) -> any ClusterDriver {
        try await open(cluster: cluster.name, file: cluster.header.file, context: context)
    }

    /// The driver of cluster `name` (its file `file`) through `context`.
    public func open(cluster name: String, file: String, context: String) async throws(DriverError) -> KubernetesCluster {
        let place = "\(file): cluster \"\(name)\", context \"\(context)\""
        do {
            let access = try kubeconfig.get().access(context: context)
            let credentials = ClientCredentials(access: access)
            var tls = try await credentials.tls()
            tls.serverName = access.cluster.tlsServerName
            let transport: CurlTransport
            do { transport = try CurlTransport(tls: tls, label: name) } catch { throw DriverError.refused("\(place): \(error)") }
            transport.timeoutMilliseconds = timeoutMilliseconds
            let client = APIClient(server: access.cluster.server, transport: transport, credentials: credentials, clock: clock)
            return KubernetesCluster(name: name, client: client, clock: clock)
        } catch let error as KubeconfigError {
            throw .refused("\(place): \(error)")
        } catch {
            throw error as? DriverError ?? .refused("\(place): \(error)")
        }
    }
}
