import Foundation
import SluiceModel
import SluiceCore
import SluiceRollout
import SluiceStore

/// `sluice status`: per environment the head of its branch, the commit it converged on, the
/// rollout under way (stage, batch, clusters done, what it waits for), a rejected head, the
/// earliest time each remaining stage can start, and how many clusters run each version of
/// each add-on. Encoded as the JSON of `status --output json` (documented in the README).
public struct StatusReport: Codable, Sendable, Equatable {
    public struct Environment: Codable, Sendable, Equatable {
        public var name: String
        public var branch: String
        public var head: String?
        /// The commit of the newest rollout that finished (every cluster recorded it).
        public var applied: String?
        public var rollout: Rollout?
        public var rejected: Rejected?
        public var stages: [StageForecast]
        /// Add-on -> version -> clusters running it.
        public var versions: [String: [String: Int]]
        /// Pairs whose live objects the last re-sync found different from their record.
        public var drift: [DriftFinding]
    }

    public struct Rollout: Codable, Sendable, Equatable {
        public var id: String
        public var commit: String
        public var phase: RolloutPhase
        public var stage: String?
        public var batch: Int?
        public var batches: Int?
        public var clustersDone: Int
        public var clustersTotal: Int
        public var waitingFor: String?
        public var until: Date?
        public var haltReason: String?
        public var skipped: [String]
        public var startedAt: Date
        public var updatedAt: Date
        /// Add-ons whose pods are rolling now, with how many are updated and ready.
        public var rolling: [RollingPair]
    }

    /// One add-on of one cluster waiting for its pods: `ready` of `desired` updated and ready
    /// in partition step `step` of `steps`.
    public struct RollingPair: Codable, Sendable, Equatable {
        public var cluster: String
        public var addon: String
        public var step: Int
        public var steps: Int
        public var ready: Int
        public var desired: Int
    }

    public struct Rejected: Codable, Sendable, Equatable {
        public var commit: String
        public var at: Date
        public var errors: String
    }

    public struct StageForecast: Codable, Sendable, Equatable {
        public var name: String
        /// The earliest it can start, given bakes and windows; nil when it waits for an approval.
        public var earliestStart: Date?
        public var waitsForApproval: Bool
    }

    public var environments: [Environment]

    /// Reads the store and the fleet repo; `now` is when the forecast starts.
    public static func make(store: any StateStore, repository location: String, environment only: String?, now: Date) async throws -> StatusReport {
        try await make(store: store, models: CommitModels(location: location), environment: only, now: now)
    }

    /// As `make(store:repository:…)`, with models kept between calls (a server's).
    public static func make(store: any StateStore, models: CommitModels, environment only: String?, now: Date) async throws -> StatusReport {
        let head = try await models.head()
        var result: [Environment] = []
        for (name, branch) in head.environments where only == nil || only == name {
            // Status shows a missing branch as no head ("-"); nothing is decided on it.
            let headCommit = await models.resolve(branch)
            let rollouts = try await store.rollouts(environment: name, limit: 50)
            let current = try await store.rollout(environment: name)
            var state: RolloutState?
            if let current {
                do { state = try RolloutState.decode(current) } catch { throw StatusError(description: error.description) }
            }
            var rejected: Rejected?
            if let newest = rollouts.first, newest.phase == .rejected {
                // Only the text of the rejection's errors; the rejection itself is the record's phase.
                let detail = (try? RolloutState.decode(newest))?.waitingFor ?? ""
                rejected = Rejected(commit: newest.commit, at: newest.startedAt, errors: detail)
            }
            let rollout = state.map(Self.rollout)
            let records = try await store.applied(environment: name)
            let loaded = await models.models(Set(records.map(\.commit)).union(state.map { [$0.commit] } ?? []))
            var versions: [String: [String: Int]] = [:]
            for record in records {
                let version = loaded[record.commit]?.entry(of: record.addon, cluster: record.cluster)?.version.value ?? String(record.commit.prefix(12))
                versions[record.addon, default: [:]][version, default: 0] += 1
            }
            let forecast = state.flatMap { state in loaded[state.commit].map { forecastStages(state, $0, now: now) } } ?? []
            result.append(Environment(name: name, branch: branch, head: headCommit,
                                      applied: rollouts.first { $0.phase == .done }?.commit, rollout: rollout, rejected: rejected,
                                      stages: forecast, versions: versions, drift: try await store.drift(environment: name)))
        }
        return StatusReport(environments: result)
    }

    static func rollout(_ state: RolloutState) -> Rollout {
        let stage = state.currentStage
        let done: Int = state.clustersDone + state.clusters.filter { $0.phase == .done }.count
        return Rollout(id: state.id, commit: state.commit, phase: state.phase, stage: stage?.name,
                       batch: stage == nil ? nil : state.batch + 1, batches: stage?.batches.count,
                       clustersDone: done, clustersTotal: state.clustersTotal, waitingFor: state.waitingFor, until: state.wakeAt,
                       haltReason: state.haltReason, skipped: state.skipped.map(\.name), startedAt: state.startedAt, updatedAt: state.updatedAt,
                       rolling: rolling(state))
    }

    static func rolling(_ state: RolloutState) -> [RollingPair] {
        state.clusters.flatMap { cluster in
            cluster.pairs.compactMap { pair -> RollingPair? in
                guard case .stepping(let step, _) = pair.phase, let pods = pair.pods else { return nil }
                return RollingPair(cluster: cluster.name, addon: pair.addon, step: step + 1, steps: pair.steps,
                                   ready: pods.ready, desired: pods.desired)
            }
        }
    }

    /// When each stage not yet started can start at the earliest: after the bakes of the
    /// batches before it, in the first minute its windows allow; unknown after an approval.
    static func forecastStages(_ state: RolloutState, _ repository: FleetRepository, now: Date) -> [StageForecast] {
        guard !state.phase.isFinal, state.currentStage != nil else { return [] }
        let pipeline = repository.fleet.environment(named: state.environment).flatMap { repository.pipelines[$0.pipeline.value] }
        let policyWindows = repository.policies.flatMap(\.releaseWindows)
            .filter { $0.environments.isEmpty || $0.environments.contains(state.environment) }.map(\.window)
        var time: Date? = now
        if case .baking(let until) = state.step { time = max(now, until) }
        var forecasts: [StageForecast] = []
        for index in state.stage..<state.blueprint.stages.count {
            let stage = state.blueprint.stages[index]
            let remaining = index == state.stage ? max(0, stage.batches.count - state.batch - 1) : stage.batches.count
            if index > state.stage {
                let approval = stage.approval && !state.approvedStages.contains(index)
                var start = time
                let windows = policyWindows + stage.preChecks.compactMap { name -> TimeWindow? in
                    if case .timeWindow(let window)? = pipeline?.checks[name]?.kind { return window }
                    return nil
                }
                for _ in 0..<4 {
                    for window in windows { start = start.flatMap { window.nextOpening(after: $0) } }
                }
                forecasts.append(StageForecast(name: stage.name, earliestStart: approval ? nil : start, waitsForApproval: approval))
                time = approval ? nil : start
            }
            let bake = stage.bakeSeconds ?? 0
            time = time.map { $0.addingTimeInterval(bake * Double(remaining)) }
        }
        return forecasts
    }
}

public struct StatusError: Error, CustomStringConvertible {
    public var description: String
}
