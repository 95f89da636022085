import Foundation
import SluiceCore
import SluiceModel
import SluiceRollout
import SluiceStore

/// One cluster as an operator looks at it: in each environment that has it, every add-on
/// it runs (version, images, commit, whether it is moving now), where the rollout under way
/// is with it, what the last re-sync found different, what it runs live (read through its
/// driver when one is given), and its recent history. The JSON of `GET /api/v1/clusters/{name}`
/// (README).
public struct ClusterView: Codable, Sendable, Equatable {
    public struct Placement: Codable, Sendable, Equatable {
        public var environment: String
        public var stage: String?
        /// Where the rollout under way is with the cluster (nil: not in it, or none runs).
        public var rollout: String?
        public var rolloutCommit: String?
        public var addons: [VersionMatrix.Cell]
        public var drift: [DriftFinding]
    }

    public var schemaVersion = 1
    public var cluster: String
    /// HEAD's model defines the cluster (false: only records of it are left).
    public var defined: Bool
    public var environments: [Placement]
    /// Read now from the cluster; nil when no driver was asked (the CLI's view), or HEAD no
    /// longer defines the cluster.
    public var live: ClusterLiveState?
    /// Newest last.
    public var history: [HistoryEntry]

    /// Nil when neither HEAD's model nor any record knows the cluster.
    public static func make(store: any StateStore, models: CommitModels, cluster: String, historyLimit: Int = 50,
                            drivers: (any ClusterDrivers)? = nil, now: Date = Date()) async throws -> ClusterView? {
        let head = try await models.head()
        let headModel = await models.model(head.commit)
        var placements: [Placement] = []
        for (name, _) in head.environments {
            let records = try await store.applied(environment: name).filter { $0.cluster == cluster }
            let blueprint = headModel.map { RolloutBlueprint(repository: $0, environment: name) }
            let inPipeline = blueprint?.stages.contains { $0.batches.contains { $0.contains(cluster) } } ?? false
            guard inPipeline || !records.isEmpty else { continue }
            let rollout = try await store.rollout(environment: name).flatMap { try? RolloutState.decode($0) }
            let underWay = rollout.flatMap { $0.phase.isFinal ? nil : $0 }
            let loaded = await models.models(Set(records.map(\.commit)))
            let matrix = VersionMatrix.environmentMatrix(name: name, records: records, rollout: underWay, blueprint: blueprint, models: loaded)
            guard let row = matrix.clusters.first(where: { $0.cluster == cluster }) else { continue }
            placements.append(Placement(environment: name, stage: row.stage, rollout: row.rollout, rolloutCommit: underWay?.commit,
                                        addons: row.cells, drift: try await store.drift(environment: name).filter { $0.cluster == cluster }))
        }
        let defined = headModel?.clusters[cluster] != nil
        guard defined || !placements.isEmpty else { return nil }
        let events = try await HistoryQuery.events(store, HistoryFilter(cluster: cluster, limit: historyLimit))
        var live: ClusterLiveState?
        if let drivers, let headModel, let model = headModel.clusters[cluster] {
            live = await ClusterLiveState.read(cluster: model, recorded: Set(placements.flatMap { $0.addons.map(\.addon) }), drivers: drivers,
                                               kinds: headModel.customWorkloads, now: now)
        }
        return ClusterView(cluster: cluster, defined: defined, environments: placements, live: live, history: events.map(HistoryEntry.init))
    }
}
