import Foundation
import SluiceCore
import SluiceDrivers
@testable import SluiceKubernetes
import SluiceModel
import SluiceYAML
import SluiceTestSupport

/// `kube_api_server.py` started on 127.0.0.1 for one test: a Kubernetes API that answers as
/// a real one (Fixtures/ hold what a real kube-apiserver served), with controllers on a
/// virtual clock the test moves, injectable faults and a log of the requests it got.
final class KubeAPITestServer: @unchecked Sendable {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("kube_api_server.py").path
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let token = "sluice-test-token"

    let process: LocalServer
    let url: String
    let certificates: TestCertificates?
    /// For the test's own calls to the `/_test/` endpoints.
    private let control: CurlTransport

    init(tls: Bool = false, tokens: [String] = [KubeAPITestServer.token], nodes: Int = 3) throws {
        var arguments = ["-u", Self.script, Self.fixtures, "--nodes", String(nodes)]
        for token in tokens { arguments += ["--token", token] }
        certificates = tls ? try TestCertificates() : nil
        if let certificates { arguments += ["--tls", certificates.path("server.crt"), certificates.path("server.key"), certificates.path("ca.crt")] }
        process = try LocalServer("/usr/bin/python3", arguments)
        let line = try process.waitForLine(containing: "listening")
        url = (tls ? "https" : "http") + "://127.0.0.1:" + (line.split(separator: " ").last.map(String.init) ?? "")
        var settings = TLSSettings()
        settings.certificateAuthority = try certificates?.bytes("ca.crt")
        control = try CurlTransport(tls: settings, label: "control")
    }

    deinit {
        process.stop()
        certificates?.remove()
    }

    /// A kubeconfig context `test` for this server, with a bearer token unless `user` says otherwise.
    func access(user: Kubeconfig.UserEntry? = nil) throws -> ClusterAccess {
        var cluster = Kubeconfig.ClusterEntry(server: url)
        cluster.certificateAuthorityData = try certificates?.bytes("ca.crt")
        var token = Kubeconfig.UserEntry()
        token.token = Self.token
        return ClusterAccess(context: "test", cluster: cluster, user: user ?? token, namespace: nil)
    }

    func client(clock: any FleetClock = VirtualClock(), user: Kubeconfig.UserEntry? = nil) async throws -> APIClient {
        let access = try access(user: user)
        let credentials = ClientCredentials(access: access)
        return APIClient(server: url, transport: try CurlTransport(tls: try await credentials.tls(), label: "driver"),
                         credentials: credentials, clock: clock)
    }

    func driver(name: String = "kube-1", clock: any FleetClock = VirtualClock()) async throws -> KubernetesCluster {
        KubernetesCluster(name: name, client: try await client(clock: clock), clock: clock)
    }

    /// A server-side apply by another field manager (another controller, a human with kubectl).
    func apply(as manager: String, path: String, force: Bool = false, _ object: [String: Any]) async throws -> Int {
        let data = try JSONSerialization.data(withJSONObject: object)
        let response = try await control.perform(HTTPRequest(method: "PATCH", url: url + path + "?fieldManager=\(manager)" + (force ? "&force=true" : ""),
                                                             headers: ["Content-Type": "application/apply-patch+yaml",
                                                                       "Authorization": "Bearer \(Self.token)"], body: Array(data)))
        return response.status
    }

    func advance(_ seconds: Double) async throws {
        _ = try await post("/_test/advance", ["seconds": seconds])
    }

    /// The next `count` requests of `method` whose path contains `path` answer `status`;
    /// status 0 is an outage: the connection drops with no answer (`processed`: after the
    /// server did the request, as when it stops between doing and answering).
    /// `writesOnly`: dry runs pass (the outage comes during an apply, not its plan).
    func inject(_ method: String, path: String, status: Int, count: Int = 1, retryAfter: Int? = nil, processed: Bool = false,
                writesOnly: Bool = false) async throws {
        var fault: [String: Any] = ["method": method, "path": path, "status": status, "count": count]
        if let retryAfter { fault["retryAfter"] = retryAfter }
        if processed { fault["processed"] = true }
        if writesOnly { fault["writesOnly"] = true }
        _ = try await post("/_test/faults", [fault])
    }

    struct Request: Decodable {
        var method: String
        var path: String
        var query: [String: String]
        var contentType: String?
        var body: String
    }

    func requests() async throws -> [Request] {
        let response = try await control.perform(HTTPRequest(url: url + "/_test/requests"))
        return try JSONDecoder().decode([Request].self, from: Data(response.body))
    }

    private func post(_ path: String, _ body: Any) async throws -> HTTPResponse {
        let data = try JSONSerialization.data(withJSONObject: body)
        return try await control.perform(HTTPRequest(method: "POST", url: url + path, headers: ["Content-Type": "application/json"], body: Array(data)))
    }
}

extension KubeAPITestServer {
    /// Connections for a scenario: every context reaches this server through a real
    /// kubeconfig (server and token), and the server's controllers keep time with `clock`.
    func connections(clock: VirtualClock) -> any KubernetesConnections {
        ClockedConnections(server: self, clock: clock)
    }

    func setTime(_ date: Date) async throws {
        _ = try await post("/_test/time", ["now": date.timeIntervalSince1970])
    }
}

private struct ClockedConnections: KubernetesConnections {
    let server: KubeAPITestServer
    let clock: VirtualClock

    func driver(for cluster: Cluster, context: String) async throws(DriverError) -> any ClusterDriver {
        var config = Kubeconfig()
        config.clusters["test"] = Kubeconfig.ClusterEntry(server: server.url)
        var user = Kubeconfig.UserEntry()
        user.token = KubeAPITestServer.token
        config.users["test"] = user
        config.contexts[context] = Kubeconfig.ContextEntry(cluster: "test", user: "test")
        let driver = try await KubeconfigConnections(kubeconfig: config, clock: clock).driver(for: cluster, context: context)
        return ClockedDriver(driver: driver, server: server, clock: clock)
    }
}

/// The real driver, with the test server's clock moved to the scenario's virtual time
/// before each call, as a cluster's controllers would have worked meanwhile.
private struct ClockedDriver: ClusterDriver {
    let driver: any ClusterDriver
    let server: KubeAPITestServer
    let clock: VirtualClock
    var clusterName: String { driver.clusterName }

    private func sync() async throws(DriverError) {
        do { try await server.setTime(await clock.now()) } catch { throw .unavailable("test server clock: \(error)") }
    }

    func get(_ key: ObjectKey) async throws(DriverError) -> Value? { try await sync(); return try await driver.get(key) }
    func list(labels: [String: String]) async throws(DriverError) -> [ObjectKey: Value] { try await sync(); return try await driver.list(labels: labels) }
    func create(_ object: Value, key: ObjectKey) async throws(DriverError) -> Value { try await sync(); return try await driver.create(object, key: key) }
    func patch(_ key: ObjectKey, mergePatch: Value) async throws(DriverError) -> Value {
        try await sync()
        return try await driver.patch(key, mergePatch: mergePatch)
    }
    func delete(_ key: ObjectKey) async throws(DriverError) { try await sync(); try await driver.delete(key) }
    func workloadStatus(_ key: ObjectKey, kinds: WorkloadKinds) async throws(DriverError) -> WorkloadStatus? {
        try await sync()
        return try await driver.workloadStatus(key, kinds: kinds)
    }
    func setPartition(_ key: ObjectKey, to partition: Int, kinds: WorkloadKinds) async throws(DriverError) {
        try await sync()
        try await driver.setPartition(key, to: partition, kinds: kinds)
    }
    func canPartition(_ key: ObjectKey, kinds: WorkloadKinds) -> Bool { driver.canPartition(key, kinds: kinds) }
    func dryRunCreate(_ object: Value, key: ObjectKey) async throws(DriverError) -> Value? { try await driver.dryRunCreate(object, key: key) }
    func dryRunPatch(_ key: ObjectKey, mergePatch: Value) async throws(DriverError) -> Value? { try await driver.dryRunPatch(key, mergePatch: mergePatch) }
    func applyServerSide(_ object: Value, key: ObjectKey, force: Bool) async throws(DriverError) -> Value {
        try await sync()
        return try await driver.applyServerSide(object, key: key, force: force)
    }
    func dryRunApplyServerSide(_ object: Value, key: ObjectKey, force: Bool) async throws(DriverError) -> Value? {
        try await driver.dryRunApplyServerSide(object, key: key, force: force)
    }
    func capabilities() async throws(DriverError) -> ClusterCapabilities? { try await sync(); return try await driver.capabilities() }
}
