import SluiceCore
import SluiceModel
import SluiceYAML
import SluiceRender

/// The plan of one (cluster, add-on) pair: for each object of the target, the last-applied
/// spec and the live cluster, the three-way action after the dangerous-field rules, and what
/// a reviewer is shown of it. The `sluice.dev/commit` annotation is left out of the
/// comparison (otherwise every commit would update every object) and added to what changes.
struct PairDiffer: Sendable {
    struct Result: Sendable {
        var steps: [ApplyStep] = []
        var plan: FleetPlan.AddonPlan
        var summary = FleetPlan.Summary()
    }

    let rules: DangerousFieldGuard
    let sensitive: SensitiveValues
    let commit: String

    /// `lastApplied` holds objects as `comparable` leaves them. `live` holds the live version of every target object that exists and every object
    /// labelled as this add-on's.
    /// `runsHooks`: a chart add-on that stays, whose live hooks (`helm.sh/hook`) are left to
    /// their delete policies; an add-on that leaves takes its hooks with it.
    func diff(addon: String, recordedCommit: String?, target: [RenderedObject], lastApplied: [ObjectKey: Value]?,
              live: [ObjectKey: Value], warnings: [String], runsHooks: Bool = false) -> Result {
        var result = Result(plan: FleetPlan.AddonPlan(name: addon, recordedCommit: recordedCommit, blocked: [],
                                                      warnings: warnings, objects: []))
        var rendered = Set<ObjectKey>()
        for object in KindOrder.forInstall(target, kind: \.key.kind) {
            rendered.insert(object.key)
            let liveObject = live[object.key]
            if let owner = liveObject.flatMap(SluiceLabels.addon(of:)), owner != addon {
                result.plan.blocked.append(Self.ownedElsewhere(object.key, by: owner))
                continue
            }
            // Nothing live: a create, with no need to compare anything. If the object is there
            // when the create is sent (an apply cut short by an outage and replayed, or someone
            // made it meanwhile), it is diffed as any live object and updated instead.
            guard let liveObject else {
                record(.create(object.object), key: object.key, apiVersion: object.apiVersion, target: object.object, live: nil, into: &result)
                result.steps[result.steps.count - 1].template = object.template
                if let index = result.steps.indices.last {
                    let target = Self.comparable(object.object), key = object.key
                    result.steps[index].rediff = { [self] live in
                        if let owner = SluiceLabels.addon(of: live), owner != addon {
                            return .failure(.invalid(key, Self.ownedElsewhere(key, by: owner)))
                        }
                        return rediff(key: key, lastApplied: nil, target: target, live: live)
                    }
                }
                continue
            }
            guard let action = ThreeWayDiff.action(lastApplied: lastApplied?[object.key], target: Self.comparable(object.object),
                                                   live: liveObject, ownedBySluice: true) else { continue }
            let outcome = rules.check(action, key: object.key)
            result.plan.warnings += outcome.warnings
            if let blocked = outcome.blocked { result.plan.blocked.append(blocked) }
            guard let checked = outcome.action else { continue }
            record(checked, key: object.key, apiVersion: object.apiVersion, target: object.object, live: liveObject, into: &result)
            if let index = result.steps.indices.last, result.steps[index].key == object.key { result.steps[index].template = object.template }
            if case .update = checked, let index = result.steps.indices.last {
                let lastApplied = lastApplied?[object.key], target = Self.comparable(object.object), key = object.key
                result.steps[index].rediff = { [self] live in rediff(key: key, lastApplied: lastApplied, target: target, live: live) }
            }
        }
        // Prune: objects of this add-on that left the target and were applied by Sluice.
        for key in KindOrder.forPrune(Array(live.keys)) where !rendered.contains(key) {
            guard let liveObject = live[key], SluiceLabels.addon(of: liveObject) == addon else { continue }
            // A hook Sluice ran: its delete policy decides when it goes, never a prune.
            if runsHooks, ChartHook(object: liveObject) != nil { continue }
            // Helm's `helm.sh/resource-policy: keep` (a chart's CRDs carry it): never pruned.
            if liveObject.at("metadata")?["annotations"]?[FleetRenderer.resourcePolicy] == .string("keep") {
                result.plan.warnings.append("\(key) is no longer rendered and is kept (helm.sh/resource-policy: keep)")
                continue
            }
            let action = ThreeWayDiff.action(lastApplied: lastApplied?[key], target: nil, live: liveObject, ownedBySluice: true)
            if let action {
                record(action, key: key, apiVersion: liveObject.at("apiVersion")?.stringValue ?? "", target: nil, live: liveObject, into: &result)
            }
        }
        if !result.plan.blocked.isEmpty {
            result.summary.blocked = 1
            result.steps = []
        }
        return result
    }

    static func ownedElsewhere(_ key: ObjectKey, by owner: String) -> String {
        "\(key) is managed by add-on \"\(owner)\"; an object belongs to one add-on"
    }

    /// The stamped patch from `live` again, as `diff` would make it.
    func rediff(key: ObjectKey, lastApplied: Value?, target: Value, live: Value) -> Swift.Result<Value?, DriverError> {
        guard let patch = ThreeWayDiff.patch(lastApplied: lastApplied, target: target, live: live) else { return .success(nil) }
        let outcome = rules.check(.update(patch: patch), key: key)
        if let blocked = outcome.blocked { return .failure(.invalid(key, blocked)) }
        guard case .update(var checked)? = outcome.action else { return .success(nil) }
        checked.set(["metadata", "annotations", SluiceLabels.commit], to: .string(commit))
        return .success(checked)
    }

    private func record(_ action: ObjectAction, key: ObjectKey, apiVersion: String, target: Value?, live: Value?,
                        into result: inout Result) {
        let shown: FleetPlan.ObjectChange.Action
        var step = ApplyStep(key: key, action: action, object: nil)
        var diff: String?
        switch action {
        case .unchanged:
            result.summary.unchanged += 1
            return
        case .create:
            shown = .create
        case .update(let patch):
            shown = .update
            var stamped = patch
            stamped.set(["metadata", "annotations", SluiceLabels.commit], to: .string(commit))
            step.action = .update(patch: stamped)
            diff = text(key: key, before: live, after: live.map { MergePatch.apply(patch, to: $0) })
        case .recreate:
            shown = .recreate
            step.object = target
            diff = text(key: key, before: live, after: target)
        case .delete:
            shown = .delete
        }
        result.summary.count(shown)
        result.steps.append(step)
        result.plan.objects.append(FleetPlan.ObjectChange(action: shown, apiVersion: apiVersion, kind: key.kind,
                                                          namespace: key.namespace, name: key.name, diff: diff))
    }

    /// A unified diff of what a reviewer cares about: no status, no server fields, no
    /// commit annotation, sensitive values masked.
    private func text(key: ObjectKey, before: Value?, after: Value?) -> String {
        let masked = sensitive.mask(before: before.map(Self.displayed), after: after.map(Self.displayed), key: key)
        let old = masked.before.map(YAMLEmitter.emit) ?? ""
        let new = masked.after.map(YAMLEmitter.emit) ?? ""
        return UnifiedDiff.lines(old: old, new: new).joined(separator: "\n")
    }


    /// The object without the commit annotation (and without an annotations map it leaves empty).
    static func comparable(_ object: Value) -> Value {
        guard var annotations = object.at(["metadata", "annotations"])?.mapValue,
              annotations[SluiceLabels.commit] != nil else { return object }
        annotations[SluiceLabels.commit] = nil
        var result = object
        result.set(["metadata", "annotations"], to: annotations.isEmpty ? .null : .map(annotations))
        if annotations.isEmpty, case .map(var metadata)? = result["metadata"] {
            metadata["annotations"] = nil
            result.set(["metadata"], to: .map(metadata))
        }
        return result
    }

    static func displayed(_ object: Value) -> Value {
        guard case .map(var map) = comparable(object) else { return object }
        map["status"] = nil
        if case .map(var metadata)? = map["metadata"] {
            for field in ["uid", "generation", "resourceVersion", "creationTimestamp", "managedFields"] { metadata[field] = nil }
            map["metadata"] = .map(metadata)
        }
        return .map(map)
    }
}
