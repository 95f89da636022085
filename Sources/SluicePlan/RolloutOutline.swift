import SluiceModel

/// The order a change would roll out in, per environment: stages, their cumulative batches,
/// the clusters of each batch, and each cluster's add-ons by dependency level.
public struct RolloutOutline: Sendable, Codable {
    public struct Environment: Sendable, Codable {
        public var name: String
        public var branch: String
        public var pipeline: String
        public var stages: [Stage]
    }

    public struct Stage: Sendable, Codable {
        public var name: String
        public var order: String?
        public var bake: String?
        public var approval: Bool
        public var maxFailures: Int
        public var batches: [Batch]
    }

    public struct Batch: Sendable, Codable {
        public var number: Int
        /// The cumulative step as written (`5`, `"10%"`).
        public var step: String
        public var clusters: [ClusterEntry]
    }

    public struct ClusterEntry: Sendable, Codable {
        public var name: String
        public var release: String
        /// Add-ons by dependency level: each level can be applied in parallel.
        public var addonLevels: [[String]]
    }

    public var environments: [Environment]

    /// `addonLevels: false` leaves each cluster's add-on levels empty, for callers that only
    /// need the stages, batches and clusters (the planner, on a fleet of thousands).
    public init(repository: FleetRepository, graphs: [String: AddonGraph], addonLevels: Bool = true) {
        environments = repository.fleet.environments.map { environment in
            let clusters = repository.clusters(in: environment)
            let pipeline = repository.pipelines[environment.pipeline.value]
            let stages = (pipeline?.stages ?? []).map { stage -> Stage in
                let members = StageOrder.sort(clusters.filter { stage.clusters.matches($0.labels) }, by: stage.order)
                var batches: [Batch] = []
                var done = 0
                for step in stage.batches {
                    let upTo = step.cumulative(of: members.count)
                    guard upTo > done else { continue }
                    let entries = members[done..<upTo].map { cluster in
                        guard addonLevels else { return ClusterEntry(name: cluster.name, release: cluster.release.value, addonLevels: []) }
                        let enabled = Set(repository.installedAddons(of: cluster))
                        let levels = (graphs[cluster.release.value]?.levels ?? []).map { $0.filter(enabled.contains) }.filter { !$0.isEmpty }
                        return ClusterEntry(name: cluster.name, release: cluster.release.value, addonLevels: levels)
                    }
                    batches.append(Batch(number: batches.count + 1, step: step.description, clusters: entries))
                    done = upTo
                }
                return Stage(name: stage.name.value, order: stage.order, bake: stage.bake.map(GoDuration.format),
                             approval: stage.approval, maxFailures: stage.maxFailures, batches: batches)
            }
            return Environment(name: environment.name.value, branch: environment.branch.value,
                               pipeline: environment.pipeline.value, stages: stages)
        }
    }
}

/// How a stage orders its clusters: by the `order` label (numerically when both values are
/// numbers; clusters without the label last), then by name.
public enum StageOrder {
    public static func sort(_ clusters: [Cluster], by label: String?) -> [Cluster] {
        guard let label else { return clusters.sorted { $0.name < $1.name } }
        return clusters.sorted { a, b in
            let x = a.labels[label], y = b.labels[label]
            switch (x, y) {
            case let (x?, y?) where x != y:
                if let nx = Double(x), let ny = Double(y) { return nx < ny }
                return x < y
            case (nil, _?): return false
            case (_?, nil): return true
            default: return a.name < b.name
            }
        }
    }
}
