import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluicePlan
import SluiceStore

/// A periodic re-sync's look (`sluice run --resync`): every recorded pair of an environment
/// is rendered at the commit the environment converged on and compared with the live
/// objects. What differs has drifted (someone edited the cluster). An effect: it decides
/// nothing; the runner reports the drift, and where the environment says `drift: correct`
/// hands the drifted pairs to a `DirectApply`.
struct DriftDetection: Sendable {
    let environment: String
    let watcher: BranchWatcher
    let store: any StateStore
    let connector: any ClusterDrivers
    let clock: any FleetClock
    let loader: FleetLoader
    /// The controller's records in memory (nil: read them all).
    var mirror: AppliedRecordsMirror? = nil

    enum Outcome: Sendable {
        /// Nothing to compare with: no rollout has converged (none yet, or one is under way).
        case nothingToCompare
        /// Not looked at now (the store or the repo did not answer); nothing is said about drift.
        case skipped(String)
        /// The converged commit could not be planned: the earlier findings stand.
        case failed(commit: String, reason: String, at: Date)
        case found(Found)
    }

    struct Found: Sendable {
        var commit: String
        var at: Date
        /// The environment says `drift: correct`.
        var correct: Bool
        /// The drifted pairs, in the plan's order (clusters, then the add-ons' dependency order).
        var drifted: [PlannedPair]
        /// What differs on each drifted pair, by `cluster/addon`.
        var details: [String: String]
        /// The fleet at `commit`: what a correction applies with.
        var repository: FleetRepository
        var gitPath: String
    }

    func run() async -> Outcome {
        let record: RolloutRecord?
        do { record = try await store.rollout(environment: environment) } catch {
            return .skipped("state store: \(error.description)")
        }
        guard let record, record.phase == .done else { return .nothingToCompare }
        guard let gitPath = await watcher.gitPath else { return .skipped("the fleet repo has not been read yet") }
        let commit = record.commit
        let now = await clock.now()
        let result: PlanResult
        do {
            let tree = try await FleetCommits(gitPath: gitPath).tree(at: commit)
            var selection = PlanSelection(environment: environment)
            selection.validatesEverything = false
            selection.rendersEverything = true
            result = try await FleetPlanner(store: store, connector: connector, loader: loader, parallelism: 2, mirror: mirror)
                .plan(tree, gitPath: gitPath, selection: selection, detail: .apply)
        } catch {
            return .failed(commit: commit, reason: "\(error)", at: now)
        }
        var details: [String: String] = [:]
        for stage in result.plan.environments.flatMap(\.stages) {
            // A cluster that cannot be reached now is not compared (and not corrected).
            for cluster in stage.batches.flatMap(\.clusters) where cluster.unreachable == nil {
                for addon in cluster.addons where !addon.objects.isEmpty {
                    details["\(cluster.name)/\(addon.name)"] = addon.objects.map { "\($0.action.rawValue) \($0.kind) \($0.namespace.isEmpty ? "" : "\($0.namespace)/")\($0.name)" }
                        .joined(separator: ", ")
                }
            }
        }
        // Drift is a difference on a pair that is settled at this commit; a pair recorded
        // elsewhere (a cluster skipped as unreachable) is the rollout's business.
        let drifted = result.pairs.filter { pair in
            pair.recordedCommit == commit && !pair.steps.isEmpty && details["\(pair.cluster)/\(pair.addon)"] != nil
        }
        return .found(Found(commit: commit, at: now, correct: result.repository.fleet.environment(named: environment)?.drift == .correct,
                            drifted: drifted, details: details, repository: result.repository, gitPath: gitPath))
    }
}
