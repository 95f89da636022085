import Foundation
import Logging
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceRollout
import SluiceStore
import SluiceStorePostgres
import Synchronization

/// The controller on the synthetic fleet (issue 8's targets):
/// 1. a release rolled through every cluster (every pair created, waited for and recorded),
///    10 batches, on virtual time: wall time and peak memory;
/// 2. the reaction time on real time with a 1 s interval: from a commit to the first apply.
struct RolloutBenchmark {
    let root: String
    let fleet: SyntheticFleet
    /// Serve the API on the rollout's store and load it with wrk (`/api/v1/status` and the
    /// version matrix) while the rollout runs (`--serve`).
    var serve = false
    /// The load asks for answers without gzip.
    var uncompressed = false
    /// Requests per second per route (nil: as many as the server answers).
    var rate: Int? = nil
    /// The store in an (empty) PostgreSQL database instead of a SQLite file (`--postgres URL`);
    /// simulated clusters keep their objects in a SQLite file beside it, as `sluice run` does.
    var postgres: String? = nil

    func run() async throws {
        let statePath = root + "-state.db", objectsPath = root + "-simulated.db"
        defer {
            for path in [statePath, objectsPath] { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        }
        try git(root, "branch", "staging")
        let store: any StateStore, objects: SQLiteStateStore
        if let postgres {
            store = try await PostgresStateStore.open(url: postgres)
            guard try await store.applied().isEmpty else { throw BenchmarkError("the PostgreSQL database holds records already: give an empty one") }
            objects = try SQLiteStateStore(path: objectsPath)
        } else {
            let sqlite = try SQLiteStateStore(path: statePath)
            (store, objects) = (sqlite, sqlite)
        }
        let clock = VirtualClock(start: Date(timeIntervalSince1970: 1_800_000_000))
        var options = EnvironmentRunner.Options()
        options.intervalSeconds = 60
        options.untilIdle = true
        let times = TransactionTimes()
        options.metrics = ControllerMetrics(factory: times)
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

        // 1. The whole fleet, cold: every pair of the release applied through the pipeline.
        let start = ContinuousClock.now
        let cpu = cpuSeconds()
        let controller = Controller(location: root, store: store, connector: ClusterConnector(objects: SQLiteSimulatedObjects(objects), clock: clock), clock: clock,
                                    options: options, cacheDirectory: root + "-cache", logger: quiet)
        let load = serve ? try await APILoad.start(store: store, root: root, options: options, clock: clock, compressed: !uncompressed, rate: rate, logger: quiet) : nil
        let outcomes = try await controller.run()
        let wall = seconds(since: start), used = cpuSeconds() - cpu
        if let load { print(try await load.stop()) }
        let records = try await store.applied().count
        let batches = try await store.history(HistoryFilter(limit: 1_000_000)).filter { $0.kind == .rollout && $0.detail.contains(", batch ") }.count
        let virtual = await clock.now().timeIntervalSince(Date(timeIntervalSince1970: 1_800_000_000))
        print(String(format: "rollout of the release through %d clusters x %d add-ons on %@: %.1f s wall, %.1f s CPU, peak memory %.0f MiB, %d pairs recorded, %d batches, %.1f h of virtual time, outcome %@",
                     fleet.clusters, fleet.addons, postgres == nil ? "SQLite" : "PostgreSQL", wall, used, peakMemoryMiB(), records, batches, virtual / 3600,
                     outcomes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
        print(times.summary)
        guard outcomes.values.allSatisfy({ $0 == .converged }) else { throw BenchmarkError("the fleet did not converge: \(outcomes)") }

        // 2. Reaction time, real time, 1 s interval: a commit, then the first apply.
        let commitTime = Mutex<ContinuousClock.Instant?>(nil)
        let firstApply = Mutex<ContinuousClock.Instant?>(nil)
        let target = Mutex<String?>(nil)
        var live = EnvironmentRunner.Options()
        live.intervalSeconds = 1
        live.resyncSeconds = nil
        live.observer = { state, _ in
            guard let commit = target.withLock({ $0 }), state.commit == commit,
                  state.clusters.contains(where: { $0.phase == .applying }), firstApply.withLock({ $0 == nil }) else { return }
            firstApply.withLock { $0 = ContinuousClock.now }
        }
        let real = SystemClock()
        let running = Controller(location: root, store: store, connector: ClusterConnector(objects: SQLiteSimulatedObjects(objects), clock: real), clock: real,
                                 options: live, cacheDirectory: root + "-cache", logger: quiet)
        let task = Task { try await running.run() }
        // Let it settle on the converged head first (real time: this is the benchmark).
        try await Task.sleep(nanoseconds: 3_000_000_000)
        let release = root + "/releases/main.yaml"
        let bumped = fleet.addonName(3)
        let text = try String(contentsOfFile: release, encoding: .utf8)
        try text.replacingOccurrences(of: "\(bumped):v1.3.0\"", with: "\(bumped):v1.3.1\"").write(toFile: release, atomically: true, encoding: .utf8)
        try git(root, "commit", "-q", "-am", "bump \(bumped)")
        let head = try GitRepository.open(root).resolve("main").hex
        target.withLock { $0 = head }
        commitTime.withLock { $0 = ContinuousClock.now }
        var waited = 0
        while firstApply.withLock({ $0 == nil }) && waited < 300 {
            try await Task.sleep(nanoseconds: 20_000_000)
            waited += 1
        }
        task.cancel()
        _ = try? await task.value
        guard let committed = commitTime.withLock({ $0 }), let applied = firstApply.withLock({ $0 }) else {
            throw BenchmarkError("no apply within 6 s of the commit")
        }
        print(String(format: "reaction time, 1 s interval, real time: %.2f s from the commit to the first apply", GoDuration.seconds(applied - committed)))
    }
}
