import Foundation
import Logging
import SluiceCore
import SluiceSQLite
import SluiceSimulation
import SluiceDrivers
import SluiceGit
import SluicePlan
import SluiceRollout
import SluiceStore
import SluiceModel

/// A scenario as an operator lives it: a Git repository copied from `example-repo` (or
/// another fleet), a SQLite state store, simulated clusters on a virtual clock, and plan and
/// apply run the way the CLI runs them. Commits are made with the `git` command.
public final class FleetScenario {
    public let repo: TestRepository
    public let store: SQLiteStateStore
    /// The simulated clusters' objects and audit log (in the store's file).
    public let objects: SQLiteSimulatedObjects
    public let clock: VirtualClock
    public let connector: ClusterConnector
    /// Cuts simulated clusters off and brings them back.
    public let network = SimulatedNetwork()
    public let stateFolder: String

    /// `kubernetes` opens the clusters whose files name a kubeconfig context (a test API server).
    public init(copying template: String = ProjectPaths.exampleRepo, kubernetes: ((VirtualClock) -> any KubernetesConnections)? = nil) throws {
        repo = try TestRepository(copying: template)
        try repo.commit("fleet")
        try repo.git("branch", "staging")
        stateFolder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-state-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: stateFolder, withIntermediateDirectories: true)
        store = try SQLiteStateStore(path: stateFolder + "/state.db")
        objects = SQLiteSimulatedObjects(store)
        let clock = VirtualClock()
        self.clock = clock
        connector = ClusterConnector(objects: objects, clock: clock, network: network, kubernetes: kubernetes.map { $0(clock) })
    }

    deinit { try? FileManager.default.removeItem(atPath: stateFolder) }

    public var head: String { (try? repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)) ?? "" }

    /// Plans `rev`; `parallelism` 1 makes render counts and orders easy to reason about.
    public func plan(rev: String = "HEAD", env: String? = nil, cluster: String? = nil, keepSteps: Bool = false,
                     parallelism: Int = 2) async throws -> PlanResult {
        let opened = try FleetSource.open(repo.path, revision: rev)
        let planner = FleetPlanner(store: store, connector: connector, parallelism: parallelism)
        return try await planner.plan(opened.tree, gitPath: opened.repository?.path,
                                      selection: PlanSelection(environment: env, cluster: cluster), detail: keepSteps ? .apply : .records)
    }

    /// Plans and applies `rev` to an environment, as `sluice apply --virtual-time` does.
    @discardableResult
    public func apply(rev: String = "HEAD", env: String, cluster: String? = nil) async throws -> PlanApplier.Report {
        let result = try await plan(rev: rev, env: env, cluster: cluster, keepSteps: true)
        return try await PlanApplier(store: store, connector: connector, clock: clock).apply(result)
    }

    /// Applies `rev` to every environment.
    public func applyAll(rev: String = "HEAD") async throws {
        for env in ["staging", "production"] {
            let report = try await apply(rev: rev, env: env)
            guard report.failures.isEmpty else { throw TestFailure("apply \(env): \(report.failures)") }
        }
    }

    /// Runs the controller (`sluice run --until-idle --virtual-time`) on this repository.
    @discardableResult
    public func runController(untilIdle: Bool = true, options: EnvironmentRunner.Options = FleetScenario.controllerOptions,
                              store: (any StateStore)? = nil,
                              logger: Logger = Logger(label: "sluice-test", factory: { _ in SwiftLogNoOpLogHandler() })) async throws
        -> [String: EnvironmentRunner.Outcome] {
        var options = options
        options.untilIdle = untilIdle
        let controller = Controller(location: repo.path, store: store ?? self.store, connector: connector, clock: clock, options: options,
                                    cacheDirectory: stateFolder + "/cache", logger: logger)
        return try await controller.run()
    }

    /// Heads and commands read every minute of virtual time: a rollout that waits days for a
    /// window wakes a few thousand times, not tens of thousands.
    public static var controllerOptions: EnvironmentRunner.Options {
        var options = EnvironmentRunner.Options()
        options.intervalSeconds = 60
        return options
    }

    /// Every history event, oldest first.
    public func history(environment: String? = nil) async throws -> [HistoryEvent] {
        try await store.history(HistoryFilter(environment: environment, limit: 1_000_000)).reversed()
    }

    /// Replaces `old` with `new` in a file of the repository (fails when `old` is not there).
    public func edit(_ path: String, replacing old: String, with new: String) throws {
        let text = try repo.read(path)
        guard text.contains(old) else { throw TestFailure("\(path) does not contain \(old)") }
        try repo.write(path, text.replacingOccurrences(of: old, with: new))
    }
}
