import Foundation
import Logging
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceStore

/// `sluice run`: follows the branch of every environment of the fleet repo and runs one
/// `EnvironmentRunner` per environment, all at once. Whatever goes wrong in one environment
/// (an invalid commit, a failing driver) stays in it. The set of environments follows
/// `sluice.yaml` at the fleet repo's HEAD: an environment added there starts, one removed
/// stops (gracefully) and gives up its lease. Cancelling the task that runs it is a graceful
/// stop: each runner finishes what is in flight, persists and returns; firing `abandonment`
/// makes them return at once (`ControllerService` does that when a stop takes too long).
public struct Controller: Sendable {
    public var location: String
    public var store: any StateStore
    public var connector: any ClusterDrivers
    public var clock: any FleetClock
    public var options: EnvironmentRunner.Options
    public var credentials: GitCredentials
    public var cacheDirectory: String
    /// Where a fleet repo given as a URL is mirrored (relative to the working directory).
    public static let defaultCacheDirectory = ".sluice/cache"
    public var logger: Logger
    /// Set when several replicas share the store: environments held by another replica are
    /// followed, not refused, and each replica leads its fair share (`LeaseShare`).
    public var replication: Replication?

    /// This replica among those sharing a store.
    public struct Replication: Sendable {
        public var replica: String
        public var registry: any ReplicaRegistry
        /// How long a lease lasts without renewal: leases are balanced every third of it.
        public var leaseSeconds: Double

        public init(replica: String, registry: any ReplicaRegistry, leaseSeconds: Double) {
            self.replica = replica
            self.registry = registry
            self.leaseSeconds = leaseSeconds
        }
    }

    public init(location: String, store: any StateStore, connector: any ClusterDrivers, clock: any FleetClock,
                options: EnvironmentRunner.Options, credentials: GitCredentials = .none, cacheDirectory: String = Controller.defaultCacheDirectory,
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

    /// How to wake the runners from outside (a webhook, an API command): a nudged environment
    /// reads its branch and commands now rather than at its next interval.
    public var nudges: Nudges { options.nudges }

    public typealias EnvironmentBranch = (name: String, branch: String)

    /// The environments and branches of the fleet repo's HEAD.
    public func environments() throws -> [EnvironmentBranch] {
        let opened = try FleetSource.open(location, revision: nil, cacheDirectory: cacheDirectory, credentials: credentials)
        guard opened.repository != nil else {
            throw SourceTreeError(path: location, message: "is not a Git repository: sluice run follows branches, so it needs one")
        }
        return try Self.environments(in: opened.tree)
    }

    private static func environments(in tree: any SourceTree) throws -> [EnvironmentBranch] {
        try FleetLoader().environments(in: tree).map { ($0.name.value, $0.branch.value) }
    }

    /// What a child task of the controller reports.
    enum Finished: Sendable {
        case environment(String, EnvironmentRunner.Outcome)
        /// The interval passed (or the wait was cancelled): look at HEAD's environments again.
        case tick
        /// Time to renew this replica's heartbeat and balance the leases (wall-clock time:
        /// leases run out by the store's clock, whatever the rollout's clock says).
        case balance
    }

    /// One environment being run: its branch, its lease, and how to stop it alone.
    struct Running {
        var branch: String
        var lease: any WriterLease
        var stop: AsyncStream<Void>.Continuation
    }

    /// Runs until cancelled, or with `untilIdle` until every environment is idle; returns
    /// each environment's outcome.
    public func run(abandonment: Abandonment = Abandonment()) async throws -> [String: EnvironmentRunner.Outcome] {
        let initial = try environments()
        let watcher = BranchWatcher(location: location, credentials: credentials, cacheDirectory: cacheDirectory, pulse: options.pulse,
                                    metrics: options.metrics)
        await watcher.refresh(branches: Array(Set(initial.map(\.branch))).sorted())
        if let error = await watcher.lastError { logger.error("fleet repo: \(error)") }
        var fleetHead = await watcher.fleetHead
        // One writer per environment: a second `run` (or an `apply`) on one of them is refused,
        // unless replicas share the store: then this one leads its share, and follows the rest.
        var leases: [String: any WriterLease] = [:]
        if let replication {
            let share = await balance(replication, environments: initial.map(\.name), running: [])
            for name in share.take where leases.count < share.limit {
                if let lease = await lease(name, logger: logger) { leases[name] = lease }
            }
        } else {
            for environment in initial {
                do { leases[environment.name] = try await store.lockEnvironment(environment.name, holder: "sluice run") } catch {
                    for lease in leases.values { await lease.release() }
                    throw error
                }
            }
        }
        logger.info("following \(initial.map { "\($0.name) (branch \($0.branch))" }.joined(separator: ", "))")
        // Every runner enters the clock before any starts, so that virtual time cannot move
        // while one of them has not begun. A runner's place on the clock, and each tick's, is
        // handed back only once the controller has acted on its result: time stands still
        // while the controller works (starts or stops a runner).
        for _ in leases { await clock.enter() }
        options.pulse.running(true)
        defer { options.pulse.running(false) }
        let outcomes = await withTaskGroup(of: Finished.self) { group in
            var running: [String: Running] = [:]
            var outcomes: [String: EnvironmentRunner.Outcome] = [:]
            var waiting: [String: EnvironmentBranch] = [:]
            func start(_ environment: EnvironmentBranch, lease: any WriterLease) {
                let runner = EnvironmentRunner(environment: environment.name, branch: environment.branch, watcher: watcher, store: store,
                                               connector: connector, clock: clock, options: options, logger: logger, lease: lease)
                let (stopped, stop) = AsyncStream<Void>.makeStream()
                running[environment.name] = Running(branch: environment.branch, lease: lease, stop: stop)
                options.metrics.leader(environment.name, true)
                group.addTask { .environment(environment.name, await Self.run(runner, until: stopped, abandonment: abandonment)) }
            }
            for environment in initial {
                guard let lease = leases[environment.name] else { continue }
                start(environment, lease: lease)
            }
            var stopping = false
            var known = initial
            await clock.enter()
            group.addTask { await tick(after: options.intervalSeconds) }
            if let replication { group.addTask { await balanceTurn(after: replication.leaseSeconds / 3) } }
            while let finished = await group.next() {
                switch finished {
                case .environment(let name, let outcome):
                    outcomes[name] = outcome
                    if outcome == .leaseLost {
                        logger.warning("environment \(name): another replica leads it now; this one follows it",
                                       metadata: ["environment": .string(name), "lease": "lost"])
                    }
                    if let ended = running.removeValue(forKey: name) {
                        await ended.lease.release()
                        options.metrics.leader(name, false)
                    }
                    // An environment whose branch changed starts again on its new branch.
                    if !stopping, let next = waiting.removeValue(forKey: name) {
                        if let lease = await lease(next.name, logger: logger) {
                            await clock.enter()
                            start(next, lease: lease)
                        }
                    }
                    await clock.leave()
                case .tick:
                    // With `untilIdle`, once every runner has returned nothing is started again
                    // (and virtual time is not moved on by ticks nobody needs).
                    if Task.isCancelled || abandonment.isFired || (options.untilIdle && running.isEmpty && waiting.isEmpty) { stopping = true }
                    guard !stopping else {
                        await clock.leave()
                        break
                    }
                    await watcher.refreshIfStale(branch: nil, now: await clock.now(), maximumAge: options.intervalSeconds / 2)
                    let head = await watcher.fleetHead
                    if head != fleetHead, let head, let gitPath = await watcher.gitPath {
                        fleetHead = head
                        let wanted = await Self.environments(at: head, gitPath: gitPath, logger: logger) ?? running.map { ($0.key, $0.value.branch) }
                        known = wanted
                        for (name, current) in running where !wanted.contains(where: { $0.name == name && $0.branch == current.branch }) {
                            logger.info("environment \(name) left sluice.yaml at \(head.prefix(12)) (or changed its branch): it stops")
                            current.stop.finish()
                            if let next = wanted.first(where: { $0.name == name }) { waiting[name] = next }
                        }
                        // Replicas take the environments that joined at their next balance.
                        for environment in wanted where replication == nil && running[environment.name] == nil && waiting[environment.name] == nil {
                            guard let lease = await lease(environment.name, logger: logger) else { continue }
                            logger.info("environment \(environment.name) (branch \(environment.branch)) joined sluice.yaml at \(head.prefix(12))")
                            await clock.enter()
                            start(environment, lease: lease)
                        }
                    }
                    await clock.enter()
                    group.addTask { await tick(after: options.intervalSeconds) }
                    await clock.leave()
                case .balance:
                    guard let replication, !stopping, !Task.isCancelled else { break }
                    let share = await balance(replication, environments: known.map(\.name), running: Set(running.keys))
                    for name in share.release {
                        logger.info("environment \(name): handed over to another replica (this one leads more than its share)")
                        running[name]?.stop.finish()
                    }
                    var leading = running.count
                    for name in share.take where leading < share.limit {
                        guard let environment = known.first(where: { $0.name == name }), waiting[name] == nil,
                              let lease = await lease(name, logger: logger) else { continue }
                        logger.info("environment \(name): this replica leads it now")
                        await clock.enter()
                        start(environment, lease: lease)
                        leading += 1
                    }
                    group.addTask { await balanceTurn(after: replication.leaseSeconds / 3) }
                }
                if options.untilIdle && running.isEmpty && waiting.isEmpty { stopping = true }
                // What is left (the tick) ends at once and is drained above.
                if stopping && running.isEmpty { group.cancelAll() }
            }
            return outcomes
        }
        if let replication { await replication.registry.leave(replica: replication.replica) }
        return outcomes

        @Sendable func tick(after seconds: Double) async -> Finished {
            try? await clock.sleep(until: await clock.now().addingTimeInterval(seconds))
            return .tick
        }

        @Sendable func balanceTurn(after seconds: Double) async -> Finished {
            try? await Task.sleep(for: .seconds(seconds))
            return .balance
        }
    }

    /// Runs `runner` until it returns, or until `stopped` ends (its environment left
    /// sluice.yaml): then it stops as it does when cancelled, finishing what is in flight.
    static func run(_ runner: EnvironmentRunner, until stopped: AsyncStream<Void>, abandonment: Abandonment) async -> EnvironmentRunner.Outcome {
        await withTaskGroup(of: EnvironmentRunner.Outcome?.self) { group in
            group.addTask { await runner.run(entered: true, leavesClock: false, abandonment: abandonment) }
            group.addTask {
                for await _ in stopped {}
                return nil
            }
            // Whichever ends first ends the other: the runner's end stops the wait, the stop
            // cancels the runner (a graceful stop).
            var outcome: EnvironmentRunner.Outcome = .stopped
            while let next = await group.next() {
                if let next { outcome = next }
                group.cancelAll()
            }
            return outcome
        }
    }

    /// The lease of an environment, or nil (said in the log) when another sluice holds it
    /// (for a replica, that is as it should be: it follows the environment).
    private func lease(_ environment: String, logger: Logger) async -> (any WriterLease)? {
        do { return try await store.lockEnvironment(environment, holder: "sluice run") } catch {
            if replication != nil, case .environmentLocked = error.kind {
                logger.debug("environment \(environment) is led by another replica: \(error.description)")
            } else {
                logger.error("environment \(environment) is not run: \(error.description)")
            }
            return nil
        }
    }

    /// Says this replica is alive and decides what to take or give up; a store that cannot
    /// say how many replicas there are counts this one alone (it takes what nobody holds).
    private func balance(_ replication: Replication, environments: [String], running: Set<String>) async -> LeaseShare {
        var replicas = 1
        do { replicas = try await replication.registry.heartbeat(replica: replication.replica, seconds: replication.leaseSeconds) } catch {
            logger.error("replica \(replication.replica): the store did not take its heartbeat: \(error.description)",
                         metadata: ["store": "unreachable"])
        }
        options.metrics.replicas(replicas)
        return LeaseShare.decide(environments: environments, running: running, replicas: replicas, replica: replication.replica)
    }

    /// The environments `sluice.yaml` names at `commit`, or nil (said in the log) when it
    /// cannot be read: a broken HEAD never stops the environments that run.
    static func environments(at commit: String, gitPath: String, logger: Logger) async -> [EnvironmentBranch]? {
        do { return try await FleetCommits(gitPath: gitPath).environments(at: commit) } catch {
            logger.error("sluice.yaml at \(commit.prefix(12)) cannot be read (\(error)); the environments that run go on")
            return nil
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
