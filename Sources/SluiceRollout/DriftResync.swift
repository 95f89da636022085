import Foundation
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluicePlan
import SluiceStore

/// A periodic re-sync (`sluice run --resync`): every recorded pair of an environment is
/// rendered at its recorded commit and compared with the live objects. What differs has
/// drifted (someone edited the cluster): it is reported in the history, the status and the
/// log, and applied again only where the environment says `drift: correct`.
struct DriftResync: Sendable {
    let environment: String
    /// The commit the environment converged on; only pairs recorded there are compared.
    let commit: String
    let gitPath: String
    let store: any StateStore
    let connector: any ClusterDrivers
    let clock: any FleetClock
    let loader: FleetLoader

    func run() async -> (findings: [DriftFinding], events: [HistoryEvent]) {
        let now = await clock.now()
        let result: PlanResult
        do {
            let tree = try await FleetCommits(gitPath: gitPath).tree(at: commit)
            var selection = PlanSelection(environment: environment)
            selection.validatesEverything = false
            selection.rendersEverything = true
            result = try await FleetPlanner(store: store, connector: connector, loader: loader, parallelism: 2)
                .plan(tree, gitPath: gitPath, selection: selection, detail: .apply)
        } catch {
            return ([], [HistoryEvent(at: now, kind: .drift, environment: environment, commit: commit, detail: "re-sync could not plan: \(error)", outcome: .driftResyncFailed)])
        }
        let correct = result.repository.fleet.environment(named: environment)?.drift == .correct
        var changes: [String: String] = [:]
        for stage in result.plan.environments.flatMap(\.stages) {
            for cluster in stage.batches.flatMap(\.clusters) where cluster.unreachable == nil {
                for addon in cluster.addons where !addon.objects.isEmpty {
                    changes["\(cluster.name)/\(addon.name)"] = addon.objects.map { "\($0.action.rawValue) \($0.kind) \($0.namespace.isEmpty ? "" : "\($0.namespace)/")\($0.name)" }
                        .joined(separator: ", ")
                }
            }
        }
        // Drift is a difference on a pair that is settled at this commit; a pair recorded
        // elsewhere (a cluster skipped as unreachable) is the rollout's business.
        let drifted = result.pairs.filter { pair in
            pair.recordedCommit == commit && !pair.steps.isEmpty && changes["\(pair.cluster)/\(pair.addon)"] != nil
        }
        var corrected = Set<String>()
        if correct && !drifted.isEmpty {
            var fixing = result
            fixing.pairs = drifted
            // Only the drifted pairs of reachable clusters are corrected: a cluster that cannot
            // be reached now must not stop the correction of the others.
            fixing.plan.environments = []
            do {
                let report = try await PlanApplier(store: store, connector: connector, clock: clock).apply(fixing)
                let failed = Set(report.failures.map { "\($0.cluster)/\($0.addon)" })
                corrected = Set(drifted.map { "\($0.cluster)/\($0.addon)" }).subtracting(failed)
            } catch {
                // Nothing was corrected: every drifted pair is reported as drift, with why.
                for pair in drifted { changes["\(pair.cluster)/\(pair.addon)", default: ""] += " (not corrected: \(error))" }
            }
        }
        var findings: [DriftFinding] = []
        var events: [HistoryEvent] = []
        for pair in drifted {
            let key = "\(pair.cluster)/\(pair.addon)"
            let detail = changes[key] ?? ""
            let fixed = corrected.contains(key)
            findings.append(DriftFinding(cluster: pair.cluster, addon: pair.addon, commit: commit, detail: detail, at: now, corrected: fixed))
            events.append(HistoryEvent(at: now, kind: .drift, environment: environment, cluster: pair.cluster, addon: pair.addon, commit: commit,
                                       detail: fixed ? "drift corrected: \(detail)" : "drift (live objects differ from \(commit.prefix(12))): \(detail)",
                                       outcome: fixed ? .driftCorrected : .driftFound))
        }
        return (findings.filter { !$0.corrected }, events)
    }
}
