import Foundation
import Logging
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceRollout
import SluiceSimulation
import SluiceSQLite
import SluiceStore
import Synchronization

/// Issue 18's controller targets at fleet size: production has converged on the fleet's
/// commit; then one add-on's image is bumped and committed, `bumps` times, each while the
/// previous bump bakes. With `nudge`, the controller is nudged after each commit, as a
/// webhook would; without, it finds the commit at its next poll (1 s). Reported per bump:
/// commit -> rollout started (the whole commit validated and the first batch planned, by a
/// runner whose parsed files are warm from the commit before) and commit -> first apply.
/// The controller runs on a clock 60 times faster than real time (pods get ready in a sixth
/// of a second; the canary's 1 h bake takes a minute); the figures are real seconds.
struct ReactionBenchmark {
    let root: String
    let fleet: SyntheticFleet
    let bumps: Int
    let nudge: Bool

    func run() async throws {
        let statePath = root + "-state.db"
        defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: statePath + suffix) } }
        try git(root, "branch", "staging")
        let store = try SQLiteStateStore(path: statePath)
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })

        // A fleet converged on the commit: every pair recorded at it (as applies would have),
        // production's first batch live, and each environment's rollout of it done.
        let start = ContinuousClock.now
        let virtual = VirtualClock(start: Date())
        let repository = try GitRepository.open(root)
        let head = try repository.resolve("main").hex
        let tree = try repository.tree(at: try repository.resolve(head))
        let model = try FleetLoader().load(tree)
        let first = RolloutBlueprint(repository: model, environment: "production").stages.first { !$0.batches.isEmpty }?.batches.first ?? []
        let seeding = ClusterConnector(objects: SQLiteSimulatedObjects(store), clock: virtual)
        let every = try await FleetPlanner(store: store, connector: seeding, loader: FleetLoader(), parallelism: ProcessInfo.processInfo.activeProcessorCount)
            .plan(tree, gitPath: root, selection: PlanSelection(), detail: .records)
        let recordedAt = await virtual.now()
        try await store.recordApply(every.pairs.map { $0.record(at: recordedAt) })
        let plan = try await FleetPlanner(store: store, connector: seeding, loader: FleetLoader(), parallelism: 2)
            .plan(tree, gitPath: root, selection: PlanSelection(environment: "production", clusters: Set(first)), detail: .apply)
        let report = try await PlanApplier(store: store, connector: seeding, clock: virtual).apply(plan)
        guard report.failures.isEmpty else { throw BenchmarkError("seeding failed: \(report.failures.prefix(3))") }
        for environment in ["staging", "production"] {
            var done = RolloutState(id: "\(environment)-seed", environment: environment, commit: head, baseCommit: nil,
                                    blueprint: RolloutBlueprint(stages: []), now: await virtual.now())
            done.position = .done
            try await store.commit(StoreTransition(rollout: try done.record()))
        }
        print(String(format: "reaction benchmark: %d pairs recorded, %@ (%d pairs) live, in %.1f s", every.pairs.count, first.joined(separator: ", "),
                     report.recorded, seconds(since: start)))

        let clock = ScaledClock(start: await virtual.now(), scale: 60)
        let commitTime = Mutex<ContinuousClock.Instant?>(nil)
        let started = Mutex<ContinuousClock.Instant?>(nil)
        let firstApply = Mutex<ContinuousClock.Instant?>(nil)
        let baking = Mutex(false)
        let target = Mutex<String?>(nil)
        var options = EnvironmentRunner.Options()
        options.intervalSeconds = nudge ? 3600 : 60
        options.observer = { state, _ in
            guard let commit = target.withLock({ $0 }), state.commit == commit else { return }
            started.withLock { if $0 == nil { $0 = ContinuousClock.now } }
            if state.clusters.contains(where: { $0.phase == .applying }) { firstApply.withLock { if $0 == nil { $0 = ContinuousClock.now } } }
            if case .baking = state.step { baking.withLock { $0 = true } }
        }
        let controller = Controller(location: root, store: store, connector: ClusterConnector(objects: SQLiteSimulatedObjects(store), clock: clock),
                                    clock: clock, options: options, cacheDirectory: root + "-cache", logger: quiet)
        let task = Task { try await controller.run() }
        try await Task.sleep(nanoseconds: 2_000_000_000)
        let release = root + "/releases/main.yaml"
        let bumped = fleet.addonName(3)
        var rows: [(Double, Double)] = []
        for bump in 1...bumps {
            let text = try String(contentsOfFile: release, encoding: .utf8)
            try text.replacingOccurrences(of: "\(bumped):v1.3.\(bump - 1)\"", with: "\(bumped):v1.3.\(bump)\"")
                .write(toFile: release, atomically: true, encoding: .utf8)
            try git(root, "commit", "-q", "-am", "bump \(bumped) to v1.3.\(bump)")
            let commit = try GitRepository.open(root).resolve("main").hex
            started.withLock { $0 = nil }
            firstApply.withLock { $0 = nil }
            baking.withLock { $0 = false }
            target.withLock { $0 = commit }
            commitTime.withLock { $0 = ContinuousClock.now }
            if nudge { controller.nudges.nudge(environment: "production") }
            // The first apply, then the bake of the first batch (the next bump supersedes it).
            var waited = 0
            while !baking.withLock({ $0 }) && waited < 6000 {
                try await Task.sleep(nanoseconds: 20_000_000)
                waited += 1
            }
            guard let committed = commitTime.withLock({ $0 }), let began = started.withLock({ $0 }), let applied = firstApply.withLock({ $0 }),
                  baking.withLock({ $0 }) else {
                task.cancel()
                throw BenchmarkError("bump \(bump): no first batch within 120 s of the commit")
            }
            rows.append((GoDuration.seconds(began - committed), GoDuration.seconds(applied - committed)))
            print(String(format: "bump %d (%@): commit -> rollout started %.2f s, -> first apply %.2f s", bump, nudge ? "nudged" : "polled every 1 s",
                         rows[rows.count - 1].0, rows[rows.count - 1].1))
        }
        task.cancel()
        _ = try? await task.value
        let warm = rows.dropFirst()
        if !warm.isEmpty {
            print(String(format: "after the first bump: rollout started %.2f-%.2f s, first apply %.2f-%.2f s; peak memory %.0f MiB",
                         warm.map(\.0).min()!, warm.map(\.0).max()!, warm.map(\.1).min()!, warm.map(\.1).max()!, peakMemoryMiB()))
        }
    }
}
