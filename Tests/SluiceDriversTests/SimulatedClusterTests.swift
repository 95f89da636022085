import Foundation
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceDrivers
import SluiceModel
import SluiceYAML
import SluiceStore
import SluiceTestSupport
import Testing

/// The simulated driver: the protocol contract on virtual time, plus what only it has
/// (persistence in the store, nodes, the fault rules of the cluster file).
@Suite(.timeLimit(.minutes(10))) struct SimulatedClusterTests {
    let directory: String
    let store: SQLiteStateStore
    let clock = VirtualClock()

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteStateStore(path: directory + "/state.db")
    }

    func cluster(nodes: Int = 3, faults: [String] = Cluster.SimulatedConnection.defaultFaultImages) -> SimulatedCluster {
        SimulatedCluster(name: "sim-1", connection: .init(nodes: nodes, faultImages: faults), store: SQLiteSimulatedObjects(store), clock: clock)
    }

    func contract(_ driver: SimulatedCluster) -> ClusterDriverContract {
        let clock = clock
        return ClusterDriverContract(driver: driver, passTime: { seconds in await clock.advance(by: seconds) })
    }

    @Test func objectsCanBeCreatedReadListedPatchedAndDeleted() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract(cluster()).objectsCanBeCreatedReadListedPatchedAndDeleted()
    }

    @Test func aSpecChangeIsANewGenerationALabelChangeIsNot() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract(cluster()).aSpecChangeIsANewGenerationALabelChangeIsNot()
    }

    @Test func aRolloutRespectsMaxUnavailableAndFinishes() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract(cluster()).aRolloutRespectsMaxUnavailableAndFinishes()
    }

    @Test func aPartitionHoldsPodsAtTheOldRevision() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract(cluster()).aPartitionHoldsPodsAtTheOldRevision()
    }

    @Test func aFaultyImageNeverBecomesReady() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract(cluster()).aFaultyImageNeverBecomesReady()
    }

    @Test func aCustomWorkloadStepsThroughItsNamedPartition() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let driver = SimulatedCluster(name: "sim-1", connection: .init(nodes: 5, faultImages: []), store: SQLiteSimulatedObjects(store), clock: clock,
                                      workloads: WorkloadKindRegistry([ClusterDriverContract.machineComponents]))
        try await contract(driver).aCustomWorkloadStepsThroughItsNamedPartition()
        // Without the kinds of a commit that describes it, the kind is no workload.
        #expect(!driver.canPartition(ClusterDriverContract.kubelet, kinds: .none))
        #expect(try await driver.workloadStatus(ClusterDriverContract.kubelet, kinds: .none) == nil)
    }

    @Test func objectsAndPodProgressSurviveARestart() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = ClusterDriverContract.deployment
        _ = try await cluster().create(ClusterDriverContract.workload(key, replicas: 2, image: "dns:1"), key: key)
        await clock.advance(by: 60)
        let reopened = SimulatedCluster(name: "sim-1", connection: .init(nodes: 3, faultImages: []),
                                        store: SQLiteSimulatedObjects(try SQLiteStateStore(path: directory + "/state.db")), clock: clock)
        let status = try #require(try await reopened.workloadStatus(key, kinds: .none))
        #expect(status.isHealthy && status.ready == 2)
        // Another cluster on the same store sees nothing of it.
        let other = SimulatedCluster(name: "sim-2", connection: .init(nodes: 3, faultImages: []), store: SQLiteSimulatedObjects(store), clock: clock)
        #expect(try await other.get(key) == nil)
    }

    @Test func aDaemonSetRunsOnePodPerNodeAndPodsTakeTimeToStart() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = ObjectKey(group: "apps", kind: "DaemonSet", namespace: "kube-system", name: "kube-proxy")
        let driver = cluster(nodes: 5)
        #expect(driver.nodes.count == 5)
        _ = try await driver.create(ClusterDriverContract.workload(key, replicas: 1, image: "proxy:1"), key: key)
        let starting = try #require(try await driver.workloadStatus(key, kinds: .none))
        #expect(starting.desired == 5 && starting.ready == 0 && !starting.isHealthy)
        await clock.advance(by: 10)
        #expect(try await driver.workloadStatus(key, kinds: .none)?.isHealthy == true)
    }

    @Test func theClusterFileFaultRulesReplaceTheDefault() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = ClusterDriverContract.deployment
        let driver = cluster(faults: ["*:canary-*"])
        _ = try await driver.create(ClusterDriverContract.workload(key, replicas: 1, image: "dns:1-broken"), key: key)
        await clock.advance(by: 60)
        #expect(try await driver.workloadStatus(key, kinds: .none)?.isHealthy == true)
        _ = try await driver.patch(key, mergePatch: ClusterDriverContract.imagePatch("dns:canary-2"))
        await clock.advance(by: 600)
        #expect(try await driver.workloadStatus(key, kinds: .none)?.isHealthy == false)
    }

    @Test(arguments: [
        ("*-broken*", "registry/dns:1.2-broken", true), ("*-broken*", "dns:1.2", false), ("a?c", "abc", true),
        ("a*b*c", "aXbYc", true), ("a*b*c", "aXbY", false), ("*", "", true), ("", "x", false), ("x*", "x", true),
    ])
    func globPatterns(pattern: String, text: String, matches: Bool) {
        #expect(GlobPattern(pattern).matches(text) == matches)
    }

    /// Numbers from rendered objects are input: out of range, they are refused as an API
    /// server would refuse them, never trapped on (issue 9).
    @Test func outOfRangeNumbersInAnObjectAreRefused() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = ClusterDriverContract.deployment
        let driver = cluster()
        for replicas: Value in [.double(1e300), .double(.infinity), .double(.nan), .int(100_000_000), .int(-1)] {
            var object = ClusterDriverContract.workload(key, replicas: 1, image: "dns:1")
            object.set(["spec", "replicas"], to: replicas)
            await #expect { try await driver.create(object, key: key) } throws: { error in
                if case .invalid? = error as? DriverError { return true }
                return false
            }
        }
        _ = try await driver.create(ClusterDriverContract.workload(key, replicas: 1, image: "dns:1"), key: key)
        // A patch that sets the generation or an absurd partition does not trap either.
        let patch: Value = .map(["metadata": .map(["generation": .int(Int.max), "annotations": .map(["sluice.dev/partition": .string("1e300")])])])
        let patched = try await driver.patch(key, mergePatch: patch)
        #expect(patched.at(["metadata", "generation"]) == .int(1))
        #expect(try await driver.workloadStatus(key, kinds: .none) != nil)
    }

    /// The simulated cluster lives in the state store: a store that fails makes it unreachable
    /// for now, a damaged one refuses (no cluster to wait for).
    @Test func aDamagedStoreRefusesAndAFailingOneIsUnreachable() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let counting = CountingStore(store)
        let key = ClusterDriverContract.deployment
        let driver = SimulatedCluster(name: "sim-1", connection: .init(nodes: 3, faultImages: []), store: counting, clock: clock)
        counting.failing.withLock { $0["write"] = (StoreError("disk I/O error (injected)"), 1) }
        do {
            _ = try await driver.create(ClusterDriverContract.workload(key, replicas: 1, image: "dns:1"), key: key)
            Issue.record("a failed write was taken as done")
        } catch {
            #expect(error.isTransient)
        }
        counting.failing.withLock { $0["write"] = (StoreError("database disk image is malformed (injected)", kind: .damaged), 1) }
        do {
            _ = try await driver.create(ClusterDriverContract.workload(key, replicas: 1, image: "dns:1"), key: key)
            Issue.record("a damaged store was taken as done")
        } catch {
            guard case .refused = error else { Issue.record("not refused: \(error)"); return }
        }
    }

    @Test func readingWithoutPodProgressWritesNothing() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let counting = CountingStore(store)
        let key = ClusterDriverContract.deployment
        let first = SimulatedCluster(name: "sim-1", connection: .init(nodes: 3, faultImages: []), store: counting, clock: clock)
        _ = try await first.create(ClusterDriverContract.workload(key, replicas: 2, image: "dns:1"), key: key)
        await clock.advance(by: 3)  // time passes, but no pod becomes ready before 10 s
        // A new process (a plan) reads the object back from the store: a read, not a write.
        let reader = SimulatedCluster(name: "sim-1", connection: .init(nodes: 3, faultImages: []), store: counting, clock: clock)
        let writes = counting.puts
        _ = try await reader.get(key)
        _ = try await reader.list(labels: [:])
        #expect(counting.puts == writes)
        // Once pods move, the new state is written.
        await clock.advance(by: 30)
        _ = try await reader.get(key)
        #expect(counting.puts > writes)
    }

    @Test func listingByAddonFollowsRelabelsBeforeAndAfterTheWholeClusterIsRead() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let driver = cluster()
        func key(_ index: Int) -> ObjectKey { ObjectKey(group: "", kind: "ConfigMap", namespace: "ns", name: "cm-\(index)") }
        func object(_ index: Int, addon: String) -> Value {
            .map(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
                  "metadata": .map(["name": .string("cm-\(index)"), "namespace": .string("ns"),
                                    "labels": .map(["sluice.dev/addon": .string(addon)])])])
        }
        for index in 0..<3 { _ = try await driver.create(object(index, addon: "a"), key: key(index)) }
        _ = try await driver.patch(key(0), mergePatch: .map(["metadata": .map(["labels": .map(["sluice.dev/addon": .string("b")])])]))
        #expect(try await driver.list(labels: ["sluice.dev/addon": "a"]).keys.sorted() == [key(1), key(2)])
        #expect(try await driver.list(labels: ["sluice.dev/addon": "b"]).keys.sorted() == [key(0)])

        // A new reader past its narrow reads reads the whole cluster; listing stays right.
        let reader = cluster()
        for index in 100..<180 { _ = try await reader.get(key(index)) }
        _ = try await reader.patch(key(1), mergePatch: .map(["metadata": .map(["labels": .map(["sluice.dev/addon": .string("b")])])]))
        try await reader.delete(key(2))
        #expect(try await reader.list(labels: ["sluice.dev/addon": "a"]).isEmpty)
        #expect(try await reader.list(labels: ["sluice.dev/addon": "b"]).keys.sorted() == [key(0), key(1)])
    }
}
