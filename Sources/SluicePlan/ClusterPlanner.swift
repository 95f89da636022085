import SluiceCore
import SluiceModel
import SluiceYAML
import SluiceRender

/// Plans one cluster (DESIGN §2 steps 1-2): renders the add-ons whose inputs changed since
/// their recorded commit (the others are unchanged by construction and not rendered), checks
/// what it rendered against the manifest rules and the other add-ons' objects, and, when the
/// cluster is selected, diffs each rendered add-on three ways against its last-applied spec
/// and the live objects.
struct ClusterPlanner: Sendable {
    let repository: FleetRepository
    /// Each release's add-ons in dependency order (those with a folder), worked out once.
    let releaseOrder: [String: ReleaseOrder]
    let renderer: FleetRenderer
    let inputs: PairInputs
    let commits: RecordedCommits
    let lastApplied: LastAppliedSpecs
    let checker: ManifestRuleChecker
    let connector: any ClusterDrivers
    let selection: PlanSelection
    /// What to keep of each pair: a plan of a whole fleet keeps none (400,000 pairs), an
    /// apply keeps steps and the objects to create.
    let detail: PlanDetail

    struct Outcome: Sendable {
        var problems: [Diagnostic] = []
        var plan: FleetPlan.ClusterPlan?
        var pairs: [PlannedPair] = []
        var statistics = FleetPlan.Statistics()
    }

    /// One add-on of the cluster: rendered (its inputs changed) or not, and its record.
    private struct Pair {
        var addon: String
        /// Where its record is in the cluster's records.
        var record: Int?
        var target: RenderedAddon?
        var spec: LastAppliedSpecs.Spec?
        /// The revision `target` was rendered with and is recorded with.
        var revision = 1
    }

    /// `records` are the cluster's, sorted by add-on.
    func plan(_ cluster: Cluster, records: ArraySlice<AppliedRecord>) async -> Outcome {
        var outcome = Outcome()
        guard let environment = repository.environment(of: cluster)?.name.value,
              let release = repository.releases[cluster.release.value], let releaseOrder = releaseOrder[release.name] else { return outcome }
        let disabled = Set(cluster.disabledAddons.map(\.value))
        let (recordAt, removed) = releaseOrder.match(records, disabled: disabled)
        var pairs: [Pair] = []
        // Usually every record of a cluster names one commit: look its changes up once.
        var changes: (commit: String, changes: ClusterInputChanges?)?
        var askedCapabilities = false
        var unreadable: DriverError?
        for (position, addon) in releaseOrder.addons.enumerated() where disabled.isEmpty || !disabled.contains(addon) {
            let record = recordAt[position]
            if let record, changes?.commit != records[record].commit {
                let commit = records[record].commit
                changes = (commit, commits.changes(since: commit, target: inputs)?.forCluster(cluster, release: release))
            }
            if let record, records[record].pending == nil, !selection.rendersEverything, let since = changes?.changes, since.unchanged(addon) {
                pairs.append(Pair(addon: addon, record: record, revision: records[record].revision))
                outcome.statistics.pairsUnchanged += 1
                continue
            }
            // A chart add-on sees the cluster's own version and API versions, as Helm's install
            // does: asked once, before the first chart renders, of the clusters this plan reads.
            if !askedCapabilities, repository.addons[addon]?.chart != nil, selection.includes(environment: environment, cluster: cluster.name) {
                askedCapabilities = true
                do {
                    if let told = try await connector.driver(for: cluster).capabilities() { renderer.learn(told, cluster: cluster.name) }
                } catch {
                    unreadable = error
                }
            }
            do {
                // A pair applied before renders as Helm's upgrade (`.Release.IsUpgrade`), at its
                // recorded revision; when that is not what it recorded, something changed and
                // the apply is the next revision (a chart renders again with it).
                let recorded = record.map { records[$0] }
                var revision = recorded?.revision ?? 1
                var target = try renderer.render(cluster: cluster.name, addon: addon, upgrade: record != nil, revision: revision)
                if let recorded, recorded.digest != target.digest {
                    revision = recorded.revision + 1
                    if repository.addons[addon]?.chart != nil {
                        target = try renderer.render(cluster: cluster.name, addon: addon, upgrade: true, revision: revision)
                    }
                }
                outcome.problems += checker.violations(in: target, release: release)
                pairs.append(Pair(addon: addon, record: record, target: target, revision: revision))
            } catch {
                outcome.problems.append(error)
            }
        }
        for index in pairs.indices {
            guard let record = pairs[index].record, let target = pairs[index].target else { continue }
            let spec = lastApplied.spec(for: records[record], target: target)
            if spec.rendered { outcome.statistics.lastAppliedRendered += 1 }
            if spec.fromDigest { outcome.statistics.lastAppliedFromDigest += 1 }
            pairs[index].spec = spec
        }
        outcome.problems += ownershipProblems(cluster, pairs)
        guard outcome.problems.isEmpty, selection.includes(environment: environment, cluster: cluster.name) else { return outcome }
        // Rendered with Helm's defaults for validation; not planned without the cluster's own.
        if let unreadable {
            var plan = FleetPlan.ClusterPlan(name: cluster.name, summary: FleetPlan.Summary(), unreachable: nil, addons: [])
            plan.cannotRead(unreadable)
            outcome.plan = plan
            return outcome
        }

        await diff(cluster, environment: environment, pairs: pairs, records: records, removed: removed, into: &outcome)
        return outcome
    }

    /// Objects two add-ons render. When some add-ons were not rendered, their objects are
    /// those of their recorded commit, which passed this check; so only a rendered add-on
    /// whose set of objects moved away from its last-applied spec needs the others rendered.
    private func ownershipProblems(_ cluster: Cluster, _ pairs: [Pair]) -> [Diagnostic] {
        let rendered = pairs.compactMap(\.target)
        let skipped = pairs.filter { $0.target == nil }
        let moved = pairs.contains { pair in
            guard let target = pair.target else { return false }
            guard let known = pair.spec?.objects else { return true }
            return known.count != target.objects.count || target.objects.contains { known[$0.key] == nil }
        }
        var all = rendered
        if moved && !skipped.isEmpty {
            // Keys only; a render error here was not caught above only if the binary changed.
            all += skipped.compactMap { pair in
                try? renderer.render(cluster: cluster.name, addon: pair.addon, upgrade: pair.record != nil, revision: pair.revision)
            }
        }
        var owners = ObjectOwners(capacity: all.count * 8)
        return all.flatMap { owners.claim($0) }
    }

    /// Reads the live objects of the rendered add-ons and diffs each pair.
    private func diff(_ cluster: Cluster, environment: String, pairs: [Pair], records: ArraySlice<AppliedRecord>, removed: [AppliedRecord],
                      into outcome: inout Outcome) async {
        var plan = FleetPlan.ClusterPlan(name: cluster.name, summary: FleetPlan.Summary(), unreachable: nil, addons: [])
        let commit = renderer.commitLabel
        func planned(_ addon: String, digest: String, record: Int?, steps: [ApplyStep] = [], blocked: [String] = [],
                     objects: [ObjectKey] = [], hooks: [PlannedHook] = [], removed: Bool = false, revision: Int? = nil) -> PlannedPair {
            // What to wait for matters only to an apply, and only where something changes
            // (or may have: the record's digest is not the target's).
            let apply = detail == .apply
            let recorded = record.map { records[$0] }
            let settled = Self.settled(steps, digest: digest, record: recorded)
            return PlannedPair(environment: environment, cluster: cluster.name, addon: addon, commit: commit, digest: digest,
                               steps: apply ? steps : [], blocked: blocked, objects: apply && !settled ? objects : [],
                               removed: removed, recordedCommit: recorded?.commit, recordedDigest: recorded?.digest,
                               hooks: apply && !settled ? hooks : [], revision: revision ?? recorded?.revision ?? 1)
        }
        // Live objects are read only for the add-ons rendered or pruned, by their label: a
        // change to one add-on reads that add-on's objects, not the whole cluster's.
        var live: [String: [ObjectKey: Value]] = [:]
        var driver: (any ClusterDriver)?
        let read = pairs.filter { $0.target != nil }.map(\.addon) + removed.map(\.addon)
        if !read.isEmpty {
            do {
                let opened = try await connector.driver(for: cluster)
                for addon in read {
                    live[addon] = try await opened.list(labels: [SluiceLabels.managedBy: "sluice", SluiceLabels.addon: addon])
                }
                driver = opened
            } catch {
                plan.cannotRead(error)
                outcome.plan = plan
                return
            }
        }
        let differ = PairDiffer(rules: DangerousFieldGuard(rules: []), sensitive: SensitiveValues(fields: sensitiveFields),
                                commit: commit)
        var validation: ServerSideValidation?
        for pair in pairs {
            guard let target = pair.target, let driver else {
                plan.summary.unchangedAddons += 1
                keep(&outcome, planned(pair.addon, digest: pair.record.map { records[$0].digest } ?? "", record: pair.record))
                continue
            }
            // A chart's hooks run around the apply; they are not the add-on's objects.
            let hooks = PlannedHook.ordered(target.objects, install: pair.record == nil)
            let plain = target.objects.contains { $0.hook != nil } ? target.objects.filter { $0.hook == nil } : target.objects
            var objects = live[pair.addon] ?? [:]
            do {
                for object in plain where objects[object.key] == nil {
                    if let found = try await driver.get(object.key) { objects[object.key] = found }
                }
            } catch {
                plan.cannotRead(error)
                break
            }
            var result = PairDiffer(rules: DangerousFieldGuard(rules: repository.dangerousFields(for: pair.addon)),
                                    sensitive: differ.sensitive, commit: commit)
                .diff(addon: pair.addon, recordedCommit: pair.record.map { records[$0].commit }, target: plain,
                      lastApplied: pair.spec?.objects, live: objects, warnings: pair.spec?.warning.map { [$0] } ?? [],
                      runsHooks: repository.addons[pair.addon]?.chart != nil)
            if let addon = repository.addons[pair.addon], addon.applyMode == .serverSide {
                Self.applyServerSide(&result.steps, objects: plain, force: addon.forceConflicts)
            }
            // The hooks this apply runs are checked too, as creates (one still there from an
            // earlier run answers 409, which the check passes over: it is replaced first).
            // Hooks run only where something is applied (a settled pair sends nothing).
            let runsHooks = !hooks.isEmpty && !Self.settled(result.steps, digest: target.digest, record: pair.record.map { records[$0] })
            let runs = runsHooks ? Self.hookCreates(hooks) : []
            if result.plan.blocked.isEmpty, !result.steps.isEmpty || !runs.isEmpty {
                do {
                    let checker = validation ?? ServerSideValidation(driver: driver, rendered: { pairs.compactMap(\.target).flatMap(\.objects) })
                    validation = checker
                    let rejected = try await checker.rejections(of: result.steps + runs, target: target.objects)
                    if !rejected.isEmpty {
                        result.plan.rejected = rejected
                        result.plan.blocked += rejected.map {
                            "\($0.template): \($0.kind) \($0.namespace.isEmpty ? "" : $0.namespace + "/")\($0.name): the API server refused it in a dry run: \($0.message)"
                        }
                        result.summary.blocked = 1
                        result.steps = []
                    }
                } catch {
                    plan.cannotRead(error)
                    break
                }
            }
            if runsHooks, result.plan.blocked.isEmpty {
                result.plan.hooks = hooks.map { $0.label(install: pair.record == nil) }
            }
            add(result, to: &plan)
            keep(&outcome, planned(pair.addon, digest: target.digest, record: pair.record, steps: result.steps,
                                   blocked: result.plan.blocked, objects: plain.map(\.key), hooks: hooks, revision: pair.revision))
        }
        // Add-ons that left the cluster: what Sluice applied for them is pruned.
        for record in removed where plan.unreachable == nil {
            let objects = live[record.addon] ?? [:]
            let result = differ.diff(addon: record.addon, recordedCommit: record.commit, target: [], lastApplied: objects,
                                     live: objects, warnings: ["add-on \"\(record.addon)\" left this cluster: its objects are pruned"])
            add(result, to: &plan)
            keep(&outcome, planned(record.addon, digest: "", record: nil, steps: result.steps, removed: true))
        }
        outcome.plan = plan
    }

    /// Nothing to apply, and the record already names this target: nothing is sent, no hook
    /// runs, and only the record moves.
    static func settled(_ steps: [ApplyStep], digest: String, record: AppliedRecord?) -> Bool {
        steps.isEmpty && record?.digest == digest && record?.pending == nil
    }

    /// Each hook once (one that runs before and after is one object), as the create its run sends.
    static func hookCreates(_ hooks: [PlannedHook]) -> [ApplyStep] {
        var seen = Set<ObjectKey>()
        return hooks.filter { seen.insert($0.key).inserted }.map { ApplyStep(key: $0.key, action: .create($0.object), object: nil) }
    }

    /// An add-on with `apply: serverSide`: its creates and updates send the whole object.
    static func applyServerSide(_ steps: inout [ApplyStep], objects: [RenderedObject], force: Bool) {
        let byKey = Dictionary(objects.map { ($0.key, $0.object) }, uniquingKeysWith: { first, _ in first })
        for index in steps.indices {
            switch steps[index].action {
            case .create, .update:
                if let object = byKey[steps[index].key] { steps[index].serverSide = ServerSideApply(object: object, force: force) }
            case .delete, .recreate, .unchanged:
                break
            }
        }
    }

    private func keep(_ outcome: inout Outcome, _ pair: @autoclosure () -> PlannedPair) {
        if detail != .summary { outcome.pairs.append(pair()) }
    }

    private func add(_ result: PairDiffer.Result, to plan: inout FleetPlan.ClusterPlan) {
        var summary = result.summary
        if result.plan.objects.isEmpty && result.plan.blocked.isEmpty { summary.unchangedAddons += 1 }
        plan.summary = plan.summary + summary
        if !result.plan.objects.isEmpty || !result.plan.blocked.isEmpty || !result.plan.warnings.isEmpty || result.plan.hooks != nil {
            plan.addons.append(result.plan)
        }
    }

    private var sensitiveFields: [SensitiveField] { repository.policies.flatMap(\.sensitiveFields) }

}


private extension FleetPlan.ClusterPlan {
    /// The cluster's live objects could not be read: unreachable (worth waiting for) or
    /// refused (an operator must act; a rollout fails the cluster).
    mutating func cannotRead(_ error: DriverError) {
        unreachable = "\(error)"
        summary.unreachable = 1
        summary.refused = error.isTransient ? 0 : 1
    }
}
