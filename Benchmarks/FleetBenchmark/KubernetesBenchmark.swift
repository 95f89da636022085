import Foundation
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceDrivers
import SluiceGit
import SluiceKubernetes
import SluiceModel
import SluiceYAML
import SluicePlan
import SluiceStore

/// `--kubernetes`: the Kubernetes driver against the API test server of the tests
/// (`Tests/SluiceKubernetesTests/kube_api_server.py`, one process per cluster, on 127.0.0.1).
/// 1. Apply throughput: 32 clusters in parallel, each creating `objects` ConfigMaps then
///    patching each: objects per second and p50/p99 latency of one apply.
/// 2. Server-side validation: a cold plan of one cluster's add-ons (every object a create,
///    each sent as a dry run) against the same plan of the cluster simulated.
struct KubernetesBenchmark {
    let root: String
    let fleet: SyntheticFleet
    var clusters = 32
    var objects = 50

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Tests/SluiceKubernetesTests/kube_api_server.py").path
    static let token = "bench-token"

    func run() async throws {
        try await applyThroughput()
        try await validationCost()
    }

    /// A test server process and its URL.
    final class Server {
        let process = Process()
        let url: String

        init() throws {
            let output = Pipe()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            let fixtures = (KubernetesBenchmark.script as NSString).deletingLastPathComponent + "/Fixtures"
            process.arguments = ["-u", KubernetesBenchmark.script, fixtures, "--token", KubernetesBenchmark.token]
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            while !text.contains("\n") {
                let data = output.fileHandleForReading.availableData
                guard !data.isEmpty else { throw BenchmarkError("the API test server did not start") }
                text += String(decoding: data, as: UTF8.self)
            }
            url = "http://127.0.0.1:" + (text.split(separator: "\n").first?.split(separator: " ").last.map(String.init) ?? "")
        }

        deinit {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    static func driver(_ server: Server, name: String) throws -> KubernetesCluster {
        var user = Kubeconfig.UserEntry()
        user.token = token
        let access = ClusterAccess(context: name, cluster: Kubeconfig.ClusterEntry(server: server.url), user: user, namespace: nil)
        let credentials = ClientCredentials(access: access)
        let client = APIClient(server: server.url, transport: try CurlTransport(tls: TLSSettings(), label: name), credentials: credentials,
                               clock: SystemClock())
        return KubernetesCluster(name: name, client: client, clock: SystemClock())
    }

    private func applyThroughput() async throws {
        let servers = try (0..<clusters).map { _ in try Server() }
        let drivers = try servers.indices.map { try Self.driver(servers[$0], name: "cluster-\($0)") }
        // Discovery first, as a controller's first plan would have done.
        for driver in drivers { _ = try await driver.get(ObjectKey(group: "", kind: "ConfigMap", namespace: "default", name: "warm")) }
        let objects = objects
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for driver in drivers {
                group.addTask {
                    var times: [Double] = []
                    for index in 0..<objects {
                        let key = ObjectKey(group: "", kind: "ConfigMap", namespace: "default", name: "cm-\(index)")
                        let object: Value = .map(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
                                                  "metadata": .map(["name": .string(key.name), "namespace": .string("default"),
                                                                    "labels": .map([SluiceLabels.managedBy: .string("sluice"),
                                                                                    SluiceLabels.addon: .string("bench")])]),
                                                  "data": .map(["index": .string(String(index))])])
                        let begin = ContinuousClock.now
                        _ = try await driver.create(object, key: key)
                        times.append(seconds(since: begin))
                    }
                    for index in 0..<objects {
                        let key = ObjectKey(group: "", kind: "ConfigMap", namespace: "default", name: "cm-\(index)")
                        let begin = ContinuousClock.now
                        _ = try await driver.patch(key, mergePatch: .map(["data": .map(["index": .string("v2-\(index)")])]))
                        times.append(seconds(since: begin))
                    }
                    return times
                }
            }
            var all: [Double] = []
            for try await times in group { all += times }
            return all.sorted()
        }
        let wall = seconds(since: start)
        func percentile(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] * 1000 }
        print(String(format: "apply throughput, %d clusters in parallel, %d creates + %d merge patches each: %d applies in %.2f s = %.0f objects/s; latency p50 %.1f ms, p99 %.1f ms",
                     clusters, objects, objects, latencies.count, wall, Double(latencies.count) / wall, percentile(0.5), percentile(0.99)))
        withExtendedLifetime(servers) {}
    }

    /// The same cold plan of one cluster, simulated and then on the test server.
    private func validationCost() async throws {
        let cluster = fleet.clusterName(0)
        let simulated = try await planSeconds(cluster: cluster, connections: nil)
        let path = root + "/clusters/\(cluster).yaml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard let range = text.range(of: #"connection: \{simulated: \{nodes: \d+\}\}"#, options: .regularExpression) else {
            throw BenchmarkError("no simulated connection in \(path)")
        }
        try text.replacingCharacters(in: range, with: "connection: {kubernetes: {context: bench}}").write(toFile: path, atomically: true, encoding: .utf8)
        try git(root, "commit", "-q", "-am", "\(cluster) on the test server")
        let server = try Server()
        var config = Kubeconfig()
        config.clusters["bench"] = Kubeconfig.ClusterEntry(server: server.url)
        var user = Kubeconfig.UserEntry()
        user.token = Self.token
        config.users["bench"] = user
        config.contexts["bench"] = Kubeconfig.ContextEntry(cluster: "bench", user: "bench")
        let (kubernetes, creates) = try await planCounted(cluster: cluster, connections: KubeconfigConnections(kubeconfig: config, clock: SystemClock()))
        print(String(format: "server-side validation: cold plan of %@ (%d add-ons, %d creates): simulated %.2f s, on the test server %.2f s (a GET and a dry run per object, and the inventory LISTs: %.1f ms more per object)",
                     cluster, fleet.addons, creates, simulated, kubernetes, (kubernetes - simulated) / Double(max(1, creates)) * 1000))
        withExtendedLifetime(server) {}
    }

    private func planSeconds(cluster: String, connections: (any KubernetesConnections)?) async throws -> Double {
        try await planCounted(cluster: cluster, connections: connections).0
    }

    private func planCounted(cluster: String, connections: (any KubernetesConnections)?) async throws -> (Double, Int) {
        let folder = root + "-state-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try SQLiteStateStore(path: folder + "/state.db")
        let repository = try GitRepository.open(root)
        let tree = try repository.tree(at: try repository.resolve("HEAD"))
        let connector = ClusterConnector(objects: SQLiteSimulatedObjects(store), clock: SystemClock(), kubernetes: connections)
        let start = ContinuousClock.now
        let result = try await FleetPlanner(store: store, connector: connector, parallelism: 1)
            .plan(tree, gitPath: root, selection: PlanSelection(cluster: cluster), detail: .summary)
        let elapsed = seconds(since: start)
        let plans = result.plan.environments.flatMap(\.stages).flatMap(\.batches).flatMap(\.clusters)
        if let blocked = plans.flatMap(\.addons).flatMap(\.blocked).first { throw BenchmarkError("blocked: \(blocked)") }
        if let why = plans.first?.unreachable { throw BenchmarkError("unreachable: \(why)") }
        return (elapsed, plans.reduce(0) { $0 + $1.summary.create })
    }
}
