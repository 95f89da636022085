import Foundation
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceStore

/// Which clusters a new head rolls back at once. A rollout halted after its change reached
/// some clusters; the head (a `git revert`, say) renders on such a cluster exactly what the
/// last converged commit rendered there, so applying it there undoes the change and nothing
/// else. Those clusters get it in a first stage of their own: no window, approval, check or
/// bake holds a rollback (freezes still do); every other cluster follows the pipeline.
struct FastRollback {
    let environment: String
    let store: any StateStore
    let connector: any ClusterDrivers
    let loader: FleetLoader
    /// The controller's records in memory (nil: read them all).
    var mirror: AppliedRecordsMirror? = nil
    let gitPath: String

    struct Found {
        var clusters: [String]
        /// The commit whose change is undone, and the one the clusters return to.
        var undone: String
        var base: String
    }

    /// Nil when there is nothing to fast-track (no halted rollout, no converged commit before
    /// it, the pipeline opts out, or the head does not undo the change anywhere).
    func clusters(head: String, repository: FleetRepository) async throws(StoreError) -> Found? {
        guard let environment = repository.fleet.environment(named: environment),
              repository.pipelines[environment.pipeline.value]?.fastRollback ?? false else { return nil }
        // A previous state this sluice cannot read gives no fast track: the head walks the pipeline.
        guard let record = try await store.rollout(environment: self.environment), record.commit != head,
              let previous = try? RolloutState.decode(record), previous.haltReason != nil else { return nil }
        guard let base = try await store.lastRollout(environment: self.environment, phase: .done)?.commit,
              base != previous.commit else { return nil }
        let reached = await Set(try store.applied(environment: self.environment)
            .filter { $0.commit == previous.commit || $0.pending == previous.commit }.map(\.cluster))
        guard !reached.isEmpty else { return nil }
        // A commit that cannot be planned here undoes nothing for certain: no fast track.
        guard let atHead = await digests(at: head, clusters: reached), let atBase = await digests(at: base, clusters: reached) else {
            return nil
        }
        let clusters = reached.filter { cluster in
            guard let now = atHead[cluster], !now.isEmpty else { return false }
            return now == atBase[cluster]
        }.sorted()
        return clusters.isEmpty ? nil : Found(clusters: clusters, undone: previous.commit, base: base)
    }

    /// Each cluster's add-ons and the digest of what they render at `commit`.
    private func digests(at commit: String, clusters: Set<String>) async -> [String: [String: String]]? {
        do {
            let tree = try await FleetCommits(gitPath: gitPath).tree(at: commit)
            var selection = PlanSelection(environment: environment, clusters: clusters)
            selection.validatesEverything = false
            selection.rendersEverything = true
            let result = try await FleetPlanner(store: store, connector: connector, loader: loader, parallelism: 2, mirror: mirror)
                .plan(tree, gitPath: gitPath, selection: selection, detail: .records)
            var digests: [String: [String: String]] = [:]
            for pair in result.pairs where !pair.removed { digests[pair.cluster, default: [:]][pair.addon] = pair.digest }
            return digests
        } catch {
            return nil
        }
    }
}
