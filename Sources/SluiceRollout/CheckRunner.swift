import Foundation
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceStore

/// Runs the checks of a pipeline (DESIGN §5) for the rollout: what `RolloutAction.runCheck`
/// asks. Windows and freezes say `wait`, never `failed`. On a simulated cluster (unless its
/// connection says `probes: real`) `http` and `prometheus` are answered by the cluster
/// itself from its pods; `command` always runs the real program.
public struct CheckRunner: Sendable {
    public var store: any StateStore
    public var connector: any ClusterDrivers
    public var clock: any FleetClock
    /// Where the rollout's commit comes from: a `command` check's program is read from it.
    public var gitPath: String?
    /// Programs outside the fleet repo that `command` checks may run (`--allow-command`).
    public var machineAllowedCommands: [String]
    public var http: HTTPProbe

    public init(store: any StateStore, connector: any ClusterDrivers, clock: any FleetClock, gitPath: String?,
                machineAllowedCommands: [String] = [], http: HTTPProbe = HTTPProbe()) {
        self.store = store
        self.connector = connector
        self.clock = clock
        self.gitPath = gitPath
        self.machineAllowedCommands = machineAllowedCommands
        self.http = http
    }

    public struct Context: Sendable {
        public var environment: String
        public var stage: String
        public var commit: String
        public var repository: FleetRepository

        public init(environment: String, stage: String, commit: String, repository: FleetRepository) {
            self.environment = environment
            self.stage = stage
            self.commit = commit
            self.repository = repository
        }
    }

    public func run(_ id: CheckID, _ context: Context) async -> CheckOutcome {
        let now = await clock.now()
        if id.name == RolloutChecks.policyGate { return await policyGate(context, now: now) }
        if id.name == RolloutChecks.freezeGate { return await freezeOutcome(context) ?? .passed("no freeze") }
        let pipeline = context.repository.fleet.environment(named: context.environment).flatMap {
            context.repository.pipelines[$0.pipeline.value]
        }
        guard let check = pipeline?.checks[id.name] else { return .failed("check \(id.name) is not defined in the pipeline") }
        let cluster = id.cluster.flatMap { context.repository.clusters[$0] }
        switch check.kind {
        case .timeWindow(let window):
            return windowOutcome(window, now: now, what: "time window \(id.name)")
        case .freeze:
            return await freezeOutcome(context) ?? .passed("no freeze")
        case .health:
            guard let cluster else { return .failed("a health check needs a cluster") }
            return await health(of: cluster, kinds: context.repository.customWorkloads)
        case .http(let url, let expectStatus, let bodyPattern, let timeout):
            guard let cluster else { return .failed("an http check needs a cluster") }
            let response: HTTPProbe.Response
            if let simulated = await simulatedProbe(cluster) {
                switch simulated {
                case .failure(let why): return .failed(why.description)
                case .success(let readiness):
                    response = readiness.ready >= readiness.desired
                        ? HTTPProbe.Response(status: 200, body: "ok (simulated: \(readiness.ready)/\(readiness.desired) pods ready)")
                        : HTTPProbe.Response(status: 503, body: "unavailable (simulated: \(readiness.ready)/\(readiness.desired) pods ready)")
                }
            } else {
                switch await http.get(url, timeout: GoDuration.seconds(timeout)) {
                case .failure(let why): return .failed("GET \(url): \(why)")
                case .success(let answer): response = answer
                }
            }
            guard response.status == expectStatus else {
                return .failed("GET \(url): status \(response.status), expected \(expectStatus)")
            }
            if let bodyPattern {
                // The pattern's own error adds nothing an operator can act on beyond "not valid".
                guard let regex = try? Regex(bodyPattern) else { return .failed("bodyPattern \(bodyPattern) is not a valid pattern") }
                guard response.body.contains(regex) else { return .failed("GET \(url): body does not match \(bodyPattern)") }
            }
            return .passed("GET \(url): \(response.status)")
        case .prometheus(let url, let query, let threshold, let timeout):
            guard let cluster else { return .failed("a prometheus check needs a cluster") }
            let value: Double
            if let simulated = await simulatedProbe(cluster) {
                switch simulated {
                case .failure(let why): return .failed(why.description)
                case .success(let readiness):
                    value = readiness.desired == 0 ? 0 : Double(readiness.desired - readiness.ready) / Double(readiness.desired)
                }
            } else {
                switch await PrometheusQuery(http: http).instant(url: url, query: query, timeout: GoDuration.seconds(timeout)) {
                case .failure(let why): return .failed("query \(query): \(why)")
                case .success(let observed): value = observed
                }
            }
            let text = "\(query) = \(value), threshold \(threshold.comparison.rawValue) \(threshold.value)"
            return threshold.passes(value) ? .passed(text) : .failed(text)
        case .command(let program, let arguments, let timeout):
            return await command(program, arguments, timeout: GoDuration.seconds(timeout), cluster: id.cluster, context)
        }
    }

    // MARK: - Gates

    private func policyGate(_ context: Context, now: Date) async -> CheckOutcome {
        if let frozen = await freezeOutcome(context) { return frozen }
        for policy in context.repository.policies {
            for window in policy.releaseWindows where window.environments.isEmpty || window.environments.contains(context.environment) {
                let outcome = windowOutcome(window.window, now: now, what: "release window of policy \(policy.name)")
                if case .passed = outcome { continue }
                return outcome
            }
        }
        return .passed("no freeze, release windows open")
    }

    private func freezeOutcome(_ context: Context) async -> CheckOutcome? {
        do {
            if let frozen = try await store.freeze(environment: context.environment) {
                return .hold("frozen by \(frozen.user)\(frozen.reason.isEmpty ? "" : ": \(frozen.reason)") (sluice unfreeze \(context.environment))")
            }
        } catch {
            // Not knowing whether the environment is frozen holds it, as a freeze would.
            return .hold("cannot read whether \(context.environment) is frozen: \(error.description)")
        }
        for policy in context.repository.policies {
            guard let freeze = policy.freeze, freeze.enabled,
                  freeze.environments.isEmpty || freeze.environments.contains(context.environment) else { continue }
            return .hold("frozen by policy \(policy.name)\(freeze.reason.isEmpty ? "" : ": \(freeze.reason)")")
        }
        return nil
    }

    private func windowOutcome(_ window: TimeWindow, now: Date, what: String) -> CheckOutcome {
        guard window.timeZone != nil else { return .failed("\(what): unknown time zone \(window.timezone)") }
        if window.isOpen(at: now) { return .passed("\(what) is open") }
        guard let opening = window.nextOpening(after: now) else { return .wait(until: nil, "\(what) never opens in the next two weeks") }
        return .wait(until: opening, "\(what) closed until \(ISO8601DateFormatter().string(from: opening))")
    }

    // MARK: - Cluster probes

    private func health(of cluster: Cluster, kinds: WorkloadKinds) async -> CheckOutcome {
        do {
            let driver = try await connector.driver(for: cluster)
            let objects = try await driver.list(labels: [SluiceLabels.managedBy: "sluice"])
            var workloads = 0
            for key in objects.keys.sorted() {
                guard let status = try await driver.workloadStatus(key, kinds: kinds) else { continue }
                workloads += 1
                if !status.isHealthy {
                    return .failed("\(key) not healthy: \(status.updatedReady) of \(status.desired) pods updated and ready")
                }
            }
            return .passed("\(workloads) workloads healthy")
        } catch {
            return .failed("cannot read the cluster: \(error)")
        }
    }

    /// nil when the check goes to the network.
    private func simulatedProbe(_ cluster: Cluster) async -> Result<(ready: Int, desired: Int), ProbeError>? {
        guard case .simulated(let connection) = cluster.connection, !connection.realProbes else { return nil }
        do {
            guard let driver = try await connector.driver(for: cluster) as? any SimulatedPodReadiness else { return nil }
            return .success(try await driver.podReadiness())
        } catch {
            return .failure(ProbeError("cannot read the simulated cluster: \(error)"))
        }
    }

    // MARK: - Commands

    private func command(_ program: String, _ arguments: [String], timeout: Double, cluster: String?, _ context: Context) async -> CheckOutcome {
        let repoPath = RepoPath.join("", program)
        let allowedInRepo = context.repository.policies.flatMap(\.allowedCommands).map(\.value)
        var executable: String
        var cleanup: String?
        if let repoPath, !repoPath.isEmpty, !program.hasPrefix("/"), allowedInRepo.contains(repoPath) {
            // The program as it is at the rollout's commit, never the working tree's.
            let bytes: [UInt8]
            do {
                guard let gitPath else { throw SourceTreeError(path: program, message: "the fleet repo is not a Git repository") }
                bytes = try await FleetCommits(gitPath: gitPath).file(repoPath, at: context.commit)
            } catch {
                return .failed("command \(program): cannot read it from the fleet repo at \(context.commit.prefix(12)): \(error)")
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-check-\(UUID().uuidString)").path
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                executable = folder + "/" + (repoPath.split(separator: "/").last.map(String.init) ?? "check")
                try ChildProcess.writeExecutable(bytes, to: executable)
            } catch {
                return .failed("command \(program): cannot prepare it: \(error)")
            }
            cleanup = folder
        } else if program.hasPrefix("/"), machineAllowedCommands.contains(program) {
            executable = program
        } else {
            return .failed("command \(program) is not allowed: a policy's allowedCommands (for the repo's own programs) or sluice run --allow-command (for others) must name it")
        }
        // A temporary copy left behind is harmless; the check's outcome does not depend on it.
        defer { if let cleanup { try? FileManager.default.removeItem(atPath: cleanup) } }
        var environment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "SLUICE_ENVIRONMENT": context.environment, "SLUICE_STAGE": context.stage,
                           "SLUICE_CLUSTER": cluster ?? "", "SLUICE_COMMIT": context.commit]
        if let name = cluster, let target = context.repository.clusters[name], case .simulated = target.connection {
            environment["SLUICE_SIMULATED"] = "true"
            if case .success(let readiness)? = await simulatedProbe(target) {
                environment["SLUICE_SIMULATED_HEALTHY"] = readiness.ready >= readiness.desired ? "true" : "false"
            }
        }
        let result = await CommandProcess.run(executable, arguments, environment: environment, timeout: timeout)
        switch result {
        case .exited(0, let output): return .passed("\(program) exited 0\(output.isEmpty ? "" : ": \(output)")")
        case .exited(let status, let output): return .failed("\(program) exited \(status)\(output.isEmpty ? "" : ": \(output)")")
        case .timedOut: return .failed("\(program) did not finish within \(Int(timeout))s and was killed")
        case .failedToStart(let why): return .failed("\(program) could not start: \(why)")
        // Not a failure of the cluster: the check runs again when the rollout resumes.
        case .stopped: return .wait(until: nil, "\(program) was stopped with sluice; it runs again on resume")
        }
    }
}

