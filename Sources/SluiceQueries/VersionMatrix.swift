import Foundation
import SluiceCore
import SluiceModel
import SluiceRollout
import SluiceStore

/// Clusters x add-ons of each environment: what every cluster runs (version, images, the
/// commit it applied) and what is moving now (rolling, failed). Clusters come in pipeline
/// order (stage by stage, batch by batch, as HEAD's `sluice.yaml` places them), so a reader
/// sees a rollout sweep down the rows. The JSON of `GET /api/v1/matrix` (README).
public struct VersionMatrix: Codable, Sendable, Equatable {
    public struct Environment: Codable, Sendable, Equatable {
        public var name: String
        /// The commit of the rollout under way, if one is.
        public var rolloutCommit: String?
        public var stages: [Stage]
        /// Every add-on that any cluster of the environment has recorded, by name.
        public var addons: [String]
        /// One row per cluster, in pipeline order.
        public var clusters: [Row]
    }

    public struct Stage: Codable, Sendable, Equatable {
        public var name: String
        public var clusters: [String]
        /// The same clusters, batch by batch.
        public var batches: [[String]]
    }

    public struct Row: Codable, Sendable, Equatable {
        public var cluster: String
        public var stage: String?
        /// Where the rollout under way is with this cluster (nil: not in it, or none runs).
        public var rollout: String?
        public var cells: [Cell]
    }

    /// What one cluster runs of one add-on.
    public struct Cell: Codable, Sendable, Equatable {
        public enum State: String, Codable, Sendable {
            /// Recorded, and nothing is changing it.
            case applied
            /// The rollout under way is applying or stepping it.
            case rolling
            /// The rollout under way failed on it.
            case failed
            /// An apply started and was not recorded (an interrupted or failed apply): the
            /// live objects may be anywhere between the recorded commit and the pending one.
            case pending
        }
        public var addon: String
        /// From the release at `commit`; nil when that commit cannot be read any more.
        public var version: String?
        public var images: [String: String]
        public var commit: String
        public var appliedAt: Date
        public var state: State
        public var pendingCommit: String?
    }

    public var schemaVersion = 1
    public var environments: [Environment]

    /// Reads the store and the fleet repo (HEAD places the clusters).
    public static func make(store: any StateStore, models: CommitModels, environment only: String?) async throws -> VersionMatrix {
        let head = try await models.head()
        let headModel = await models.model(head.commit)
        var result: [Environment] = []
        for (name, _) in head.environments where only == nil || only == name {
            let records = try await store.applied(environment: name)
            let rollout = try await store.rollout(environment: name).flatMap { try? RolloutState.decode($0) }
            let underWay = rollout.flatMap { $0.phase.isFinal ? nil : $0 }
            let blueprint = headModel.map { RolloutBlueprint(repository: $0, environment: name) }
            let loaded = await models.models(Set(records.map(\.commit)))
            result.append(environmentMatrix(name: name, records: records, rollout: underWay, blueprint: blueprint, models: loaded))
        }
        return VersionMatrix(environments: result)
    }

    static func environmentMatrix(name: String, records: [AppliedRecord], rollout: RolloutState?, blueprint: RolloutBlueprint?,
                                  models: [String: FleetRepository]) -> Environment {
        let stages = (blueprint?.stages ?? []).map { Stage(name: $0.name, clusters: $0.batches.flatMap { $0 }, batches: $0.batches) }
        var stageOf: [String: String] = [:]
        var order: [String] = []
        for stage in stages {
            for cluster in stage.clusters where stageOf[cluster] == nil {
                stageOf[cluster] = stage.name
                order.append(cluster)
            }
        }
        var byCluster: [String: [AppliedRecord]] = [:]
        for record in records { byCluster[record.cluster, default: []].append(record) }
        // Clusters that have records but left the pipeline come last, by name.
        order += byCluster.keys.filter { stageOf[$0] == nil }.sorted()
        let progress = Dictionary((rollout?.clusters ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let rows = order.map { cluster -> Row in
            let inRollout = progress[cluster]
            let cells = (byCluster[cluster] ?? []).sorted { $0.addon < $1.addon }.map { record -> Cell in
                let entry = models[record.commit]?.entry(of: record.addon, cluster: cluster)
                return Cell(addon: record.addon, version: entry?.version.value, images: (entry?.images ?? [:]).mapValues(\.value),
                            commit: record.commit, appliedAt: record.appliedAt,
                            state: state(of: record, in: inRollout), pendingCommit: record.pending)
            }
            return Row(cluster: cluster, stage: stageOf[cluster], rollout: inRollout?.phase.name, cells: cells)
        }
        let addons = Set(records.map(\.addon)).sorted()
        return Environment(name: name, rolloutCommit: rollout?.commit, stages: stages, addons: addons, clusters: rows)
    }

    /// The rollout's view of a pair wins over its record: it is what moves now. A cluster
    /// that failed on this add-on keeps it failed after the halt let its pairs go.
    static func state(of record: AppliedRecord, in cluster: ClusterProgress?) -> Cell.State {
        if case .failed(.addon(let addon, _))? = cluster?.phase, addon == record.addon { return .failed }
        if let pair = cluster?.pairs.first(where: { $0.addon == record.addon }) {
            switch pair.phase {
            case .failed: return .failed
            case .applying, .stepping, .baking, .retrying, .hooks: return .rolling
            case .waiting, .recorded: break
            }
        }
        return record.pending == nil ? .applied : .pending
    }
}
