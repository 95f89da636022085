import Foundation
import Logging
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceStore

/// `sluice run`: follows the branch of every environment of the fleet repo and runs one
/// `EnvironmentRunner` per environment, all at once. Whatever goes wrong in one environment
/// (an invalid commit, a failing driver) stays in it. Cancelling the task that runs it is a
/// graceful stop: each runner finishes what is in flight, persists and returns.
public struct Controller: Sendable {
    public var location: String
    public var store: any StateStore
    public var connector: any ClusterDrivers
    public var clock: any FleetClock
    public var options: EnvironmentRunner.Options
    public var credentials: GitCredentials
    public var cacheDirectory: String
    public var logger: Logger

    public init(location: String, store: any StateStore, connector: any ClusterDrivers, clock: any FleetClock,
                options: EnvironmentRunner.Options, credentials: GitCredentials = .none, cacheDirectory: String = ".sluice/cache",
                logger: Logger = Logger(label: "sluice")) {
        self.location = location
        self.store = store
        self.connector = connector
        self.clock = clock
        self.options = options
        self.credentials = credentials
        self.cacheDirectory = cacheDirectory
        self.logger = logger
    }

    /// The environments and branches of the fleet repo's HEAD.
    public func environments() throws -> [(name: String, branch: String)] {
        let opened = try FleetSource.open(location, revision: nil, cacheDirectory: cacheDirectory, credentials: credentials)
        guard opened.repository != nil else {
            throw SourceTreeError(path: location, message: "is not a Git repository: sluice run follows branches, so it needs one")
        }
        return try FleetLoader().environments(in: opened.tree).map { ($0.name.value, $0.branch.value) }
    }

    /// Runs until cancelled, or with `untilIdle` until every environment is idle; returns
    /// each environment's outcome.
    public func run() async throws -> [String: EnvironmentRunner.Outcome] {
        let environments = try environments()
        // One writer per environment: a second `run` (or an `apply`) on one of them is refused.
        var leases: [any WriterLease] = []
        for environment in environments {
            do { leases.append(try await store.lockEnvironment(environment.name, holder: "sluice run")) } catch {
                for lease in leases { await lease.release() }
                throw error
            }
        }
        let watcher = BranchWatcher(location: location, credentials: credentials, cacheDirectory: cacheDirectory)
        let branches = Array(Set(environments.map(\.branch))).sorted()
        await watcher.refresh(branches: branches)
        if let error = await watcher.lastError { logger.error("fleet repo: \(error)") }
        logger.info("following \(environments.map { "\($0.name) (branch \($0.branch))" }.joined(separator: ", "))")
        let store = self.store, connector = self.connector, clock = self.clock, options = self.options, logger = self.logger
        let runners = environments.map { environment in
            EnvironmentRunner(environment: environment.name, branch: environment.branch, watcher: watcher, store: store,
                              connector: connector, clock: clock, options: options, logger: logger)
        }
        // Every runner enters the clock before any starts, so that virtual time cannot move
        // while one of them has not begun. Each fetches the branches when its poll is due
        // (the watcher fetches once per interval for all of them).
        for _ in runners { await clock.enter() }
        return await withTaskGroup(of: (String, EnvironmentRunner.Outcome).self) { group in
            for runner in runners {
                group.addTask { (runner.environment, await runner.run(entered: true)) }
            }
            var outcomes: [String: EnvironmentRunner.Outcome] = [:]
            for await (name, outcome) in group { outcomes[name] = outcome }
            for lease in leases { await lease.release() }
            return outcomes
        }
    }

    /// `--until-idle`'s exit code: 0 all converged, 3 any halted or rejected its head, 5 any
    /// waits for an operator (and none halted), 6 an environment stopped on a damaged store,
    /// 7 one waits only for unreachable clusters (and none of the above).
    public static func exitCode(_ outcomes: [String: EnvironmentRunner.Outcome]) -> Int32 {
        let values = Array(outcomes.values)
        if values.contains(.storeDamaged) { return 6 }
        if values.contains(.halted) || values.contains(.rejected) || values.contains(.noBranch) { return 3 }
        if values.contains(.waitingForOperator) { return 5 }
        if values.contains(.waitingForClusters) { return 7 }
        return 0
    }
}
