import Foundation
import SluiceCore
import SluiceModel
import SluiceYAML

/// What a cluster runs now, read through its driver when asked (a cluster's page): the
/// objects Sluice applied there, by add-on, and each workload's pods against its current
/// template. A cluster that cannot be read says why (`problem`); it never reads as a cluster
/// with nothing on it.
public struct ClusterLiveState: Codable, Sendable, Equatable {
    public enum Health: String, Codable, Sendable {
        /// Every workload has all its pods updated and ready (or the add-on has none).
        case healthy
        /// A workload is still rolling, held at a partition, or has pods not ready.
        case progressing
        /// Recorded as applied, but nothing of it is on the cluster.
        case absent
        /// A status could not be read; see `problem`.
        case unknown
    }

    public struct Workload: Codable, Sendable, Equatable {
        public var kind: String
        public var namespace: String
        public var name: String
        public var desired: Int
        public var updated: Int
        public var ready: Int
        public var partition: Int
        public var healthy: Bool
    }

    public struct Addon: Codable, Sendable, Equatable {
        public var addon: String
        public var objects: Int
        public var health: Health
        public var workloads: [Workload]
        public var problem: String?
    }

    public var readAt: Date
    /// Why the cluster could not be read (unreachable, refused); `addons` is then empty.
    public var problem: String?
    public var addons: [Addon]

    /// Reads `cluster`'s objects labelled as Sluice's, in one list, then the status of each
    /// workload among them (the drivers answer other kinds without a request); beyond
    /// `maximumObjects` an add-on's health is unknown rather than read.
    /// `recorded`: the add-ons the store says are applied there, shown even when absent.
    public static func read(cluster: Cluster, recorded: Set<String>, drivers: any ClusterDrivers, kinds: WorkloadKinds,
                            now: Date, maximumObjects: Int = 1_000) async -> ClusterLiveState {
        let objects: [ObjectKey: Value]
        do {
            let driver = try await drivers.driver(for: cluster)
            objects = try await driver.list(labels: [SluiceLabels.managedBy: "sluice"])
            var byAddon: [String: [ObjectKey]] = [:]
            for (key, object) in objects {
                guard let addon = SluiceLabels.addon(of: object) else { continue }
                byAddon[addon, default: []].append(key)
            }
            var budget = maximumObjects
            var addons: [Addon] = []
            for name in recorded.union(byAddon.keys).sorted() {
                let keys = (byAddon[name] ?? []).sorted()
                var addon = Addon(addon: name, objects: keys.count, health: keys.isEmpty ? .absent : .healthy, workloads: [], problem: nil)
                for key in keys {
                    guard budget > 0 else {
                        addon.health = .unknown
                        addon.problem = "more than \(maximumObjects) objects on the cluster: the rest are not read here"
                        break
                    }
                    budget -= 1
                    do {
                        guard let status = try await driver.workloadStatus(key, kinds: kinds) else { continue }
                        let workload = Workload(kind: key.kind, namespace: key.namespace, name: key.name, desired: status.desired,
                                                updated: status.updated, ready: status.ready, partition: status.partition, healthy: status.isHealthy)
                        addon.workloads.append(workload)
                        if !workload.healthy, addon.health == .healthy { addon.health = .progressing }
                    } catch {
                        addon.health = .unknown
                        addon.problem = String(error.description.prefix(500))
                    }
                }
                addons.append(addon)
            }
            return ClusterLiveState(readAt: now, problem: nil, addons: addons)
        } catch {
            return ClusterLiveState(readAt: now, problem: String(error.description.prefix(500)), addons: [])
        }
    }
}
