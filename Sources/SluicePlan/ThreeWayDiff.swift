import SluiceModel
import SluiceYAML

/// What the plan does to one object of one cluster.
public enum ObjectAction: Sendable, Equatable {
    /// The object is not live: create it as rendered.
    case create(Value)
    /// The object is live and differs: apply this JSON merge patch (RFC 7386) to it.
    case update(patch: Value)
    /// The object left the target and Sluice owns the live one: prune it.
    case delete
    /// A change the API server would reject (a dangerous field with action `recreate`):
    /// delete the live object and create the target.
    case recreate
    case unchanged
}

/// The three-way rule of DESIGN §2, as `kubectl apply` has it: a field present in the target
/// and different live is set; a field that was in the last-applied spec and left the target
/// is removed; a field only the live object has (set by another controller, an admission
/// webhook or defaulting) is left alone. Lists that Kubernetes merges by a key (containers
/// by name, container ports by port number, volume mounts by path...) are merged element by
/// element by that key, so a sidecar a webhook injected survives; other lists are replaced.
/// `status` and the server's metadata are never touched.
public enum ThreeWayDiff {
    /// The action for an object; nil when there is nothing to do with it (not rendered, and
    /// either not live or not Sluice's to delete).
    public static func action(lastApplied: Value?, target: Value?, live: Value?, ownedBySluice: Bool) -> ObjectAction? {
        guard let target else {
            return live != nil && lastApplied != nil && ownedBySluice ? .delete : nil
        }
        guard let live else { return .create(target) }
        guard let patch = patch(lastApplied: lastApplied, target: target, live: live) else { return .unchanged }
        return .update(patch: patch)
    }

    /// The merge patch that brings `live` to `target` without undoing others' fields; nil
    /// when there is nothing to change.
    public static func patch(lastApplied: Value?, target: Value, live: Value) -> Value? {
        guard case .map(let targetMap) = target, case .map(let liveMap) = live else {
            return target == live ? nil : target
        }
        var lastMap = lastApplied?.mapValue ?? [:]
        var live = liveMap
        // Fields the API server owns: never sent, whatever the last-applied spec had.
        live["status"] = nil
        lastMap["status"] = nil
        let patch = mapPatch(last: lastMap, target: targetMap.filter { $0.key != "status" }, live: live, path: [])
        return patch.isEmpty ? nil : .map(patch)
    }

    private static func mapPatch(last: [String: Value], target: [String: Value], live: [String: Value], path: [String]) -> [String: Value] {
        var patch: [String: Value] = [:]
        for (key, targetValue) in target {
            let fieldPath = path + [key]
            guard let liveValue = live[key], liveValue != .null else {
                if targetValue != .null { patch[key] = targetValue }
                continue
            }
            switch (targetValue, liveValue) {
            case (.map(let targetChild), .map(let liveChild)):
                let child = mapPatch(last: last[key]?.mapValue ?? [:], target: targetChild, live: liveChild, path: fieldPath)
                if !child.isEmpty { patch[key] = .map(child) }
            case (.list(let targetItems), .list(let liveItems)):
                if let keyFields = ListMergeKeys.fields(for: fieldPath, items: targetItems + liveItems) {
                    let merged = mergeList(last: last[key]?.listValue ?? [], target: targetItems, live: liveItems,
                                           keyFields: keyFields, path: fieldPath)
                    if merged != liveItems { patch[key] = .list(merged) }
                } else if !contained(.list(targetItems), in: liveValue, last: last[key]) {
                    // A list Kubernetes replaces whole: sent again only when what Sluice sets
                    // differs, not for what the server defaulted into its elements.
                    patch[key] = targetValue
                }
            default:
                if targetValue != liveValue { patch[key] = targetValue }
            }
        }
        // Removed from the target since the last apply, and still live: delete.
        for key in last.keys where target[key] == nil && live[key] != nil && !isServerOwned(path + [key]) {
            patch[key] = .null
        }
        return patch
    }

    /// The live list with the target's elements merged in by `key`, elements that left the
    /// target since the last apply removed, and elements only the live object has kept. When
    /// the live list already has the target's elements in the target's order, the live order
    /// stays (an injected sidecar keeps its place); otherwise the target's order wins (init
    /// containers run in order) and others' elements follow.
    private static func mergeList(last: [Value], target: [Value], live: [Value], keyFields: [String], path: [String]) -> [Value] {
        func keyOf(_ item: Value) -> Value? { ListMergeKeys.identity(of: item, fields: keyFields) }
        func index(_ items: [Value]) -> [Value: Value] {
            Dictionary(items.compactMap { item in keyOf(item).map { ($0, item) } }, uniquingKeysWith: { first, _ in first })
        }
        let lastByKey = index(last), liveByKey = index(live)
        var merged: [Value: Value] = [:]
        for item in target {
            guard let itemKey = keyOf(item) else { continue }
            if let liveItem = liveByKey[itemKey], case .map(let liveMap) = liveItem, case .map(let targetMap) = item {
                let childPatch = mapPatch(last: lastByKey[itemKey]?.mapValue ?? [:], target: targetMap, live: liveMap, path: path)
                merged[itemKey] = MergePatch.apply(.map(childPatch), to: liveItem)
            } else {
                merged[itemKey] = item
            }
        }
        let kept = live.filter { item in
            guard let itemKey = keyOf(item) else { return true }
            return merged[itemKey] != nil || lastByKey[itemKey] == nil
        }
        let targetOrder = target.compactMap(keyOf)
        if kept.compactMap(keyOf).filter({ merged[$0] != nil }) == targetOrder {
            return kept.map { item in keyOf(item).flatMap { merged[$0] } ?? item }
        }
        let ours = target.map { item in keyOf(item).flatMap { merged[$0] } ?? item }
        return ours + kept.filter { item in keyOf(item).map { merged[$0] == nil } ?? true }
    }

    /// Whether `live` already holds `target` as Sluice manages it: every field the target sets
    /// has its value there (fields only the live object has, defaulted by the API server, are
    /// not Sluice's), no field the last apply set and the target dropped is still there, and
    /// lists match element by element, in order, by the same rule.
    static func contained(_ target: Value, in live: Value, last: Value?) -> Bool {
        switch (target, live) {
        case (.map(let targetMap), .map(let liveMap)):
            for (key, value) in targetMap {
                guard let liveValue = liveMap[key], liveValue != .null else {
                    if value == .null { continue }
                    return false
                }
                guard contained(value, in: liveValue, last: last?[key]) else { return false }
            }
            // A field the last apply set that the target dropped must go: not yet.
            return !(last?.mapValue ?? [:]).keys.contains { targetMap[$0] == nil && liveMap[$0] != nil }
        case (.list(let targetItems), .list(let liveItems)):
            guard targetItems.count == liveItems.count else { return false }
            let lastItems = last?.listValue
            for index in targetItems.indices {
                let lastItem = lastItems.flatMap { $0.indices.contains(index) ? $0[index] : nil }
                guard contained(targetItems[index], in: liveItems[index], last: lastItem) else { return false }
            }
            return true
        default:
            return target == live
        }
    }

    /// Metadata the API server writes; a last-applied spec never holds it, but an imported one might.
    private static func isServerOwned(_ path: [String]) -> Bool {
        guard path.count == 2, path[0] == "metadata" else { return path == ["status"] }
        return ["resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "selfLink"].contains(path[1])
    }
}
