import Foundation
import SluiceCore
import SluiceModel
import SluiceYAML
import SluiceRender

/// Which part of the fleet a plan covers; nil means all of it. The whole commit is validated
/// whatever the selection: a commit is accepted or rejected as a whole.
public struct PlanSelection: Sendable {
    public var environment: String?
    public var cluster: String?
    /// Only these clusters (a batch of a rollout).
    public var clusters: Set<String>?
    /// Render every cluster to validate the whole commit (the default). A rollout validated
    /// the commit when it started, so the plans of its batches render only their clusters.
    public var validatesEverything = true
    /// Render every selected pair and compare it with the live objects, even when its
    /// inputs did not change since its record (a re-sync looking for drift).
    public var rendersEverything = false

    public init(environment: String? = nil, cluster: String? = nil, clusters: Set<String>? = nil) {
        self.environment = environment
        self.cluster = cluster
        self.clusters = clusters
    }

    public func includes(environment: String, cluster: String) -> Bool {
        (self.environment == nil || self.environment == environment) && (self.cluster == nil || self.cluster == cluster)
            && (clusters == nil || clusters?.contains(cluster) == true)
    }
}

/// How much of each selected pair a plan keeps besides the plan itself.
public enum PlanDetail: Sendable {
    /// The plan only (`sluice plan`): no pairs.
    case summary
    /// Every selected pair with its commit and digest, no steps (what recording needs).
    case records
    /// Every selected pair with its steps and the objects to create (`sluice apply`).
    case apply
}

/// One thing an apply does to a cluster, in order: creates and updates in install order
/// (`KindOrder`), then prunes in the reverse order.
public struct ApplyStep: Sendable {
    public var key: ObjectKey
    public var action: ObjectAction
    /// For a recreate, the object to create after the delete (a create carries its own).
    public var object: Value?
    /// For an update: the patch made again from a newer live object, by the same three-way
    /// diff and dangerous-field rules, when the cluster answers 409 Conflict (someone changed
    /// the object meanwhile). nil from it: nothing left to change; a failure: now refused.
    public var rediff: (@Sendable (Value) -> Result<Value?, DriverError>)? = nil
    /// For a create or update of an add-on with `apply: serverSide`: the whole object, sent
    /// as a server-side apply instead.
    public var serverSide: ServerSideApply? = nil
    /// The template the object comes from (empty for a prune): what a refusal names.
    public var template = ""
}

public struct ServerSideApply: Sendable {
    public var object: Value
    public var force: Bool
}

/// A selected (cluster, add-on) pair as the apply needs it: what to do, and what to record.
public struct PlannedPair: Sendable {
    public var environment: String
    public var cluster: String
    public var addon: String
    /// The commit planned; recorded once the pair is applied and healthy.
    public var commit: String
    /// The digest of the target's objects (for a pair not rendered, the recorded one).
    public var digest: String
    public var steps: [ApplyStep]
    /// Why the pair must not be applied; empty when it may.
    public var blocked: [String]
    /// The target's objects, to wait for their health after the apply; empty when the pair
    /// is settled (nothing to do, and the record already says so).
    public var objects: [ObjectKey]
    /// The add-on left this cluster: its objects are pruned and its record removed.
    public var removed: Bool
    public var recordedCommit: String? = nil
    public var recordedDigest: String? = nil
    /// A chart add-on's hooks that run around this apply (install or upgrade), in Helm's
    /// order; empty when the pair is settled.
    public var hooks: [PlannedHook] = []
    /// The revision the pair is recorded with once applied: the record's, plus one when what
    /// the pair renders changed (Helm's release revision; 1 at install).
    public var revision = 1

    /// How many of its hooks run at `moment`.
    public func hookCount(_ moment: HookMoment) -> Int { hooks.count { $0.moment == moment } }

    /// Nothing to apply and nothing to wait for: the record only moves to this commit.
    public var isSettled: Bool { steps.isEmpty && objects.isEmpty && !removed }

    /// The record of this pair applied at `time`.
    public func record(at time: Date) -> AppliedRecord {
        AppliedRecord(environment: environment, cluster: cluster, addon: addon, commit: commit, digest: digest, appliedAt: time, revision: revision)
    }
}

/// A chart hook as the apply runs it: created before (`pre`) or after (`post`) the pair's
/// objects, waited for, deleted as its policies say.
public struct PlannedHook: Sendable, Equatable {
    public var key: ObjectKey
    /// As rendered, with Sluice's labels and the commit annotation.
    public var object: Value
    public var moment: HookMoment
    public var hook: ChartHook

    /// The hooks of `objects` that run at an install (`install`) or an upgrade, in Helm's
    /// order (`execHook`): by weight, then kind in install order (kinds it does not know
    /// last, by name of kind), then name.
    public static func ordered(_ objects: [RenderedObject], install: Bool) -> [PlannedHook] {
        let hooks = objects.flatMap { object -> [PlannedHook] in
            guard let hook = object.hook else { return [] }
            return hook.moments(install: install).map { PlannedHook(key: object.key, object: object.object, moment: $0, hook: hook) }
        }
        return hooks.sorted { a, b in
            if a.moment != b.moment { return a.moment == .pre }
            if a.hook.weight != b.hook.weight { return a.hook.weight < b.hook.weight }
            let x = KindOrder.rank(of: a.key.kind), y = KindOrder.rank(of: b.key.kind), unknown = KindOrder.install.count
            if x != y { return x < y }
            if x == unknown && a.key.kind != b.key.kind { return a.key.kind < b.key.kind }
            return a.key.name < b.key.name
        }
    }

    /// For people: `pre-upgrade Job ns/name`.
    public func label(install: Bool) -> String {
        let event = "\(moment.rawValue)-\(install ? "install" : "upgrade")"
        return "\(event) \(key.kind) \(key.namespace.isEmpty ? "" : key.namespace + "/")\(key.name)"
    }
}

/// What `FleetPlanner` found: the plan to show, and the selected pairs in rollout order
/// (environment, stage, batch, cluster, dependency order), for an apply to carry out.
public struct PlanResult: Sendable {
    public var plan: FleetPlan
    public var repository: FleetRepository
    public var pairs: [PlannedPair]
    /// Where the time went (for benchmarks; never part of the plan's output).
    public var timings: [(phase: String, seconds: Double)] = []
}

public enum PlanError: Error, CustomStringConvertible, Sendable {
    /// The commit is invalid: nothing of it may be applied.
    case invalid([Diagnostic])
    /// `--env` or `--cluster` names nothing.
    case selection(String)
    /// The state store could not be read.
    case store(String)

    public var description: String {
        switch self {
        case .invalid(let problems): return problems.map(\.description).joined(separator: "\n")
        case .selection(let why): return why
        case .store(let why): return "state store: \(why)"
        }
    }
}
