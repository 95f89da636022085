import SluiceModel
import SluicePlan

/// What a rollout of one commit through one environment walks: the pipeline's stages with
/// their clusters already sorted and cut into batches, and the stage's rules. Worked out once
/// from the commit when the rollout starts and kept in its state, so that a restarted
/// controller walks exactly the same batches.
public struct RolloutBlueprint: Codable, Equatable, Sendable {
    public struct Stage: Codable, Equatable, Sendable {
        public var name: String
        /// Cluster names per batch (each batch holds only the clusters it adds).
        public var batches: [[String]]
        public var maxConcurrency: Int?
        public var maxFailures: Int
        public var bakeSeconds: Double?
        public var approval: Bool
        public var rollbackOnFailure: Bool
        public var skipUnreachable: Bool
        public var preChecks: [String]
        public var postChecks: [String]
        /// The stage of a rollback that goes to the clusters a halted change reached at once:
        /// its only gate is a freeze (no windows, approval, checks or bake). Optional so that
        /// blueprints written before it read as they were.
        public var fastTrack: Bool?

        public var isFastTrack: Bool { fastTrack == true }

        public init(name: String, batches: [[String]], maxConcurrency: Int? = nil, maxFailures: Int = 0, bakeSeconds: Double? = nil,
                    approval: Bool = false, rollbackOnFailure: Bool = false, skipUnreachable: Bool = false,
                    preChecks: [String] = [], postChecks: [String] = [], fastTrack: Bool? = nil) {
            self.fastTrack = fastTrack
            self.name = name
            self.batches = batches
            self.maxConcurrency = maxConcurrency
            self.maxFailures = maxFailures
            self.bakeSeconds = bakeSeconds
            self.approval = approval
            self.rollbackOnFailure = rollbackOnFailure
            self.skipUnreachable = skipUnreachable
            self.preChecks = preChecks
            self.postChecks = postChecks
        }
    }

    public var stages: [Stage]
    /// Checks about the whole batch rather than one cluster (`timeWindow`, `freeze`): run once.
    public var batchChecks: [String]

    public init(stages: [Stage], batchChecks: [String] = []) {
        self.stages = stages
        self.batchChecks = batchChecks
    }

    public var clusterCount: Int { stages.reduce(0) { $0 + $1.batches.reduce(0) { $0 + $1.count } } }

    /// The blueprint with a first stage that takes `clusters` at once (a rollback of a halted
    /// change), those clusters out of their own stages; stages left empty are dropped.
    public func fastTracking(_ clusters: [String]) -> RolloutBlueprint {
        guard !clusters.isEmpty else { return self }
        let fast = Set(clusters)
        var copy = self
        copy.stages = stages.compactMap { stage in
            var stage = stage
            stage.batches = stage.batches.map { $0.filter { !fast.contains($0) } }.filter { !$0.isEmpty }
            return stage.batches.isEmpty ? nil : stage
        }
        copy.stages.insert(Stage(name: "rollback", batches: [clusters.sorted()], fastTrack: true), at: 0)
        return copy
    }

    /// The environment's pipeline at the commit, with its clusters in order.
    public init(repository: FleetRepository, environment name: String) {
        let outline = RolloutOutline(repository: repository, graphs: [:], addonLevels: false)
        guard let environment = outline.environments.first(where: { $0.name == name }),
              let pipeline = repository.pipelines[environment.pipeline] else {
            stages = []
            batchChecks = []
            return
        }
        batchChecks = pipeline.checks.filter { _, check in
            switch check.kind {
            case .timeWindow, .freeze: return true
            default: return false
            }
        }.keys.sorted()
        stages = zip(environment.stages, pipeline.stages).map { outlined, stage in
            Stage(name: outlined.name, batches: outlined.batches.map { $0.clusters.map(\.name) },
                  maxConcurrency: stage.maxConcurrency, maxFailures: stage.maxFailures,
                  bakeSeconds: stage.bake.map(GoDuration.seconds), approval: stage.approval,
                  rollbackOnFailure: stage.onFailure == .rollback, skipUnreachable: stage.unreachable == .skip,
                  preChecks: stage.preChecks.map(\.value), postChecks: stage.postChecks.map(\.value))
        }
    }
}
