import Foundation
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceRender
import SluiceStore

/// The planner on the synthetic fleet (issue 3's targets): a cold plan of every pair against
/// an empty store and empty simulated clusters; then, with the store recording that commit
/// for every pair and the bumped add-on's objects live on every cluster, the plan of a commit
/// that bumps one add-on's image, in a fresh planner (cold caches, as a new process has).
struct PlanBenchmark {
    let root: String
    let fleet: SyntheticFleet
    let parallelism: Int
    /// Extra runs of the incremental plan (for a profiler to attach to).
    var repeatBump = 0

    func run() async throws {
        let statePath = root + "-state.db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: statePath + suffix) } }
        let store = try SQLiteStateStore(path: statePath)
        let clock = VirtualClock()

        // 1. Cold: nothing recorded, nothing live.
        var start = ContinuousClock.now
        var cpu = cpuSeconds()
        let cold = try await plan(store: store, clock: clock, detail: .records)
        let coldSeconds = seconds(since: start), coldCPU = cpuSeconds() - cpu
        print(String(format: "cold plan of every pair: %.2f s wall, %.2f s CPU, %d pairs rendered, %d objects to create, peak memory %.0f MiB",
                     coldSeconds, coldCPU, cold.plan.statistics.pairsRendered, cold.plan.summary.create, peakMemoryMiB()))

        // 2. Record that commit for every pair, as applies would have.
        start = ContinuousClock.now
        let now = Date()
        try await store.recordApply(cold.pairs.map { $0.record(at: now) })
        let bumped = fleet.addonName(fleet.addons / 2)
        try await makeLive(bumped, store: store, clock: clock)
        print(String(format: "  (setup: %d records and %@'s objects on %d clusters written in %.2f s)",
                     cold.pairs.count, bumped, fleet.clusters, seconds(since: start)))

        // 3. Bump one add-on's image and plan again, from scratch.
        let release = root + "/releases/main.yaml"
        let text = try String(contentsOfFile: release, encoding: .utf8)
        let index = fleet.addons / 2
        let old = "\(bumped):v1.\(index).0\"", new = "\(bumped):v1.\(index).1\""
        guard text.contains(old) else { throw BenchmarkError("release has no \(old)") }
        try text.replacingOccurrences(of: old, with: new).write(toFile: release, atomically: true, encoding: .utf8)
        try git(root, "commit", "-q", "-am", "bump \(bumped)")
        start = ContinuousClock.now
        cpu = cpuSeconds()
        let bump = try await plan(store: store, clock: clock)
        let bumpSeconds = seconds(since: start), bumpCPU = cpuSeconds() - cpu
        let statistics = bump.plan.statistics
        print(String(format: "plan after a one-add-on image bump: %.3f s wall, %.3f s CPU, %d pairs rendered, %d not rendered, %d last-applied rendered, %d updates",
                     bumpSeconds, bumpCPU, statistics.pairsRendered, statistics.pairsUnchanged, statistics.lastAppliedRendered,
                     bump.plan.summary.update))
        print("  phases: " + bump.timings.map { String(format: "%@ %.3f s", $0.phase, $0.seconds) }.joined(separator: ", "))
        guard bump.plan.summary.update == fleet.clusters, statistics.pairsRendered == fleet.clusters else {
            throw BenchmarkError("expected \(fleet.clusters) updates from \(fleet.clusters) renders")
        }
        for run in 0..<repeatBump {
            let again = ContinuousClock.now
            let result = try await plan(store: store, clock: clock)
            print(String(format: "  again (%d): %.3f s wall; ", run + 1, seconds(since: again))
                  + result.timings.map { String(format: "%@ %.3f", $0.phase, $0.seconds) }.joined(separator: ", "))
        }
        try await phases(store: store)
        print(String(format: "peak memory (max RSS) after the plan benchmarks: %.0f MiB", peakMemoryMiB()))
    }

    /// Where the incremental plan's time goes: the fixed costs it pays before any pair.
    private func phases(store: SQLiteStateStore) async throws {
        var start = ContinuousClock.now
        let repository = try GitRepository.open(root)
        let tree = try repository.tree(at: try repository.resolve("HEAD"))
        let treeSeconds = seconds(since: start)
        start = ContinuousClock.now
        let loaded = try FleetLoader().load(tree)
        let loadSeconds = seconds(since: start)
        start = ContinuousClock.now
        _ = try FleetRenderer(repository: loaded)
        let rendererSeconds = seconds(since: start)
        start = ContinuousClock.now
        var records = 0
        for environment in loaded.fleet.environments { await records += try store.applied(environment: environment.name.value).count }
        let recordSeconds = seconds(since: start)
        print(String(format: "  of which fixed costs (measured apart): commit tree %.3f s, load + model validation %.3f s, template parse %.3f s, %d records read %.3f s",
                     treeSeconds, loadSeconds, rendererSeconds, records, recordSeconds))
    }

    private func plan(store: SQLiteStateStore, clock: VirtualClock, detail: PlanDetail = .summary) async throws -> PlanResult {
        let repository = try GitRepository.open(root)
        let tree = try repository.tree(at: try repository.resolve("HEAD"))
        let planner = FleetPlanner(store: store, connector: ClusterConnector(objects: SQLiteSimulatedObjects(store), clock: clock), parallelism: parallelism)
        return try await planner.plan(tree, gitPath: root, selection: PlanSelection(), detail: detail)
    }

    /// The add-on's objects at HEAD created on every simulated cluster, as an apply would.
    private func makeLive(_ addon: String, store: SQLiteStateStore, clock: VirtualClock) async throws {
        let repository = try GitRepository.open(root)
        let renderer = try FleetRenderer(repository: try FleetLoader().load(repository.tree(at: try repository.resolve("HEAD"))))
        let connector = ClusterConnector(objects: SQLiteSimulatedObjects(store), clock: clock)
        for name in renderer.repository.clusterNames {
            guard let cluster = renderer.repository.clusters[name] else { continue }
            let driver = try await connector.driver(for: cluster)
            for object in try renderer.render(cluster: name, addon: addon).objects {
                _ = try await driver.create(object.object, key: object.key)
            }
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
