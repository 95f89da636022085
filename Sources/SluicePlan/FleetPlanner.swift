import Foundation
import SluiceCore
import SluiceGit
import SluiceModel
import SluiceYAML
import SluiceRender

/// Plans a commit for the fleet (DESIGN §2 steps 1-2): validates it, renders what changed
/// since each pair's recorded commit, diffs it three ways against the last-applied spec and
/// the live objects, and groups the changes the way they would roll out.
///
/// Validation is incremental too: a pair whose inputs equal those of its recorded commit
/// renders to what was applied there, which passed validation before it was applied. So a
/// commit that bumps one add-on renders that add-on on each cluster, not the whole fleet.
public struct FleetPlanner: Sendable {
    public var loader: FleetLoader
    public var store: any AppliedRecordSource
    public var connector: any ClusterDrivers
    public var parallelism: Int
    /// The records kept in memory between plans (a controller's): only what changed is read.
    public var mirror: AppliedRecordsMirror?

    public init(store: any AppliedRecordSource, connector: any ClusterDrivers, loader: FleetLoader = FleetLoader(),
                parallelism: Int = ProcessInfo.processInfo.activeProcessorCount, mirror: AppliedRecordsMirror? = nil) {
        self.store = store
        self.connector = connector
        self.loader = loader
        self.parallelism = parallelism
        self.mirror = mirror
    }

    /// `gitPath` is the Git repository `tree` comes from (nil for a plain directory); recorded
    /// commits are read from it. `detail` says what to keep of each pair besides the plan.
    /// `loaded`: the model of `tree`, when the caller has loaded it already (it is not loaded
    /// twice); `records`: the store's records, when the caller read them while it loaded.
    public func plan(_ tree: any SourceTree, gitPath: String?, selection: PlanSelection = PlanSelection(),
                     detail: PlanDetail = .summary, loaded: FleetRepository? = nil,
                     records prefetched: Records? = nil) async throws(PlanError) -> PlanResult {
        // Recorded commits are loaded too; files they share with this one are parsed once.
        var loader = self.loader
        if loader.cache == nil { loader.cache = ParsedDocumentCache() }
        var timings = PhaseTimer()
        // The records do not depend on the model: read them while the model loads.
        let store = self.store, mirror = self.mirror
        async let recordsRead = { () async -> Result<([String: [String: ArraySlice<AppliedRecord>]], Set<String>), PlanError> in
            if let prefetched { return .success((prefetched.byCluster, prefetched.commits)) }
            if let mirror {
                do throws(PlanError) {
                    let records = try await mirror.records(from: store)
                    return .success((records.byCluster, records.commits))
                } catch { return .failure(error) }
            }
            return await Self.records(store)
        }()
        let repository: FleetRepository
        if let loaded { repository = loaded } else {
            do { repository = try loader.load(tree) } catch { throw .invalid(error.diagnostics) }
        }
        // Simulated clusters run controllers for the kinds this commit describes (judging and
        // stepping them takes the commit's own kinds, passed with each call).
        connector.describe(repository.customWorkloads.all)
        try check(selection, in: repository)
        let (graphs, structural) = CommitValidator.structure(of: repository)
        guard structural.isEmpty else { throw .invalid(structural) }
        timings.lap("load and check the model")

        let inputs = PairInputs.of(commit: tree.commit?.hex, loader: loader) { tree }
        let commits = RecordedCommits(gitPath: gitPath, loader: loader, target: tree.commit.map { ($0.hex, inputs) })
        timings.lap("index inputs")
        let (records, recordedCommits) = try await recordsRead.get()
        timings.lap("wait for records")
        // Templates an add-on had, unchanged, at a recorded commit parsed then (the commit
        // was validated before it was applied): they are parsed when first rendered, not here.
        var proven = Set<String>()
        for commit in recordedCommits {
            guard let changes = commits.changes(since: commit, target: inputs) else { continue }
            proven.formUnion(repository.addons.keys.filter { !changes.addons.contains($0) })
        }
        timings.lap("compare with recorded commits")
        // Chart add-ons' random values derive from the store's secret: every plan agrees. A
        // fleet without chart add-ons never asks (a store is not written for it).
        var secret: [UInt8]? = nil
        if repository.addons.values.contains(where: { $0.chart != nil }) {
            do { secret = try await store.renderSecret() } catch { throw .store(error.description) }
        }
        let renderer: FleetRenderer
        do {
            renderer = try FleetRenderer(repository: repository, parsing: Set(repository.addons.keys).subtracting(proven), renderSecret: secret)
        } catch { throw .invalid(error.diagnostics) }
        commits.adopt(renderer, for: tree.commit?.hex)
        timings.lap("parse templates")
        let releaseOrder = graphs.mapValues { ReleaseOrder($0.order.filter { repository.addons[$0] != nil }) }
        let planner = ClusterPlanner(
            repository: repository, releaseOrder: releaseOrder, renderer: renderer, inputs: inputs, commits: commits,
            lastApplied: LastAppliedSpecs(commits: commits),
            checker: ManifestRuleChecker(rules: repository.policies.flatMap(\.manifestRules)),
            connector: connector, selection: selection, detail: detail)

        let names = repository.clusterNames
        let outcomes = await BoundedConcurrency.map(names.count, parallelism: parallelism) { index in
            guard let cluster = repository.clusters[names[index]] else { return ClusterPlanner.Outcome() }
            let environment = repository.environment(of: cluster)?.name.value ?? ""
            if !selection.validatesEverything && !selection.includes(environment: environment, cluster: cluster.name) {
                return ClusterPlanner.Outcome()
            }
            return await planner.plan(cluster, records: records[environment]?[cluster.name] ?? [])
        }
        timings.lap("plan clusters")
        var collapser = ClusterCollapser()
        var statistics = FleetPlan.Statistics()
        for (name, outcome) in zip(names, outcomes) {
            for problem in outcome.problems { collapser.add(problem, cluster: name) }
            statistics = statistics + outcome.statistics
        }
        let problems = collapser.diagnostics()
        guard problems.isEmpty else { throw .invalid(problems.sorted()) }
        statistics.pairsRendered = renderer.renderCount
        var result = assemble(repository: repository, graphs: graphs, commit: renderer.commitLabel, selection: selection,
                              outcomes: Dictionary(uniqueKeysWithValues: zip(names, outcomes)), statistics: statistics)
        result.plan.addReleaseChanges(repository: repository, commit: renderer.commitLabel, recorded: { commits.inputs($0) })
        timings.lap("assemble")
        result.timings = timings.laps
        return result
    }

    private func check(_ selection: PlanSelection, in repository: FleetRepository) throws(PlanError) {
        if let problem = repository.selectionProblem(environment: selection.environment, cluster: selection.cluster) {
            throw .selection(problem)
        }
    }

    /// The store's records as a plan takes them (`plan(records:)`), by environment and cluster,
    /// and the distinct commits they name (usually a handful).
    public struct Records: Sendable {
        let byCluster: [String: [String: ArraySlice<AppliedRecord>]]
        let commits: Set<String>
    }

    /// Every record in one read. The store returns them sorted, so grouping costs one insert
    /// per cluster.
    private static func records(_ store: any AppliedRecordSource) async
        -> Result<([String: [String: ArraySlice<AppliedRecord>]], Set<String>), PlanError> {
        let all: [AppliedRecord]
        do { all = try await store.applied() } catch { return .failure(.store(error.description)) }
        let grouped = group(all)
        return .success((grouped.byCluster, grouped.commits))
    }

    /// Sorted records grouped by environment and cluster: each (environment, cluster) is one
    /// run, kept as a slice of `all`, not a copy; and the distinct commits they name.
    static func group(_ all: [AppliedRecord]) -> (byCluster: [String: [String: ArraySlice<AppliedRecord>]], commits: Set<String>) {
        var result: [String: [String: ArraySlice<AppliedRecord>]] = [:]
        var commits = Set<String>()
        var lastCommit: String?
        var start = all.startIndex
        while start < all.endIndex {
            var end = start + 1
            while end < all.endIndex && all[end].cluster == all[start].cluster && all[end].environment == all[start].environment { end += 1 }
            result[all[start].environment, default: [:]][all[start].cluster] = all[start..<end]
            for record in all[start..<end] where record.commit != lastCommit {
                commits.insert(record.commit)
                lastCommit = record.commit
            }
            start = end
        }
        return (result, commits)
    }

    /// The plan in rollout order: environment -> stage -> batch -> cluster -> add-on.
    private func assemble(repository: FleetRepository, graphs: [String: AddonGraph], commit: String, selection: PlanSelection,
                          outcomes: [String: ClusterPlanner.Outcome], statistics: FleetPlan.Statistics) -> PlanResult {
        var environments: [FleetPlan.Environment] = []
        var pairs: [PlannedPair] = []
        for environment in RolloutOutline(repository: repository, graphs: graphs, addonLevels: false).environments
        where selection.environment == nil || selection.environment == environment.name {
            var summary = FleetPlan.Summary()
            let stages = environment.stages.map { stage in
                FleetPlan.Stage(name: stage.name, batches: stage.batches.compactMap { batch in
                    let clusters = batch.clusters.compactMap { entry -> FleetPlan.ClusterPlan? in
                        guard let outcome = outcomes[entry.name], let plan = outcome.plan else { return nil }
                        summary = summary + plan.summary
                        pairs += outcome.pairs
                        return plan
                    }
                    return clusters.isEmpty ? nil : FleetPlan.Batch(number: batch.number, step: batch.step, clusters: clusters)
                })
            }.filter { !$0.batches.isEmpty }
            environments.append(FleetPlan.Environment(name: environment.name, branch: environment.branch,
                                                      pipeline: environment.pipeline, summary: summary, stages: stages))
        }
        let total = environments.reduce(FleetPlan.Summary()) { $0 + $1.summary }
        let plan = FleetPlan(commit: commit, summary: total, environments: environments, statistics: statistics)
        return PlanResult(plan: plan, repository: repository, pairs: pairs)
    }
}

