
/// JSON merge patch (RFC 7386): maps merge key by key, `null` deletes, anything else
/// (scalars, lists) replaces. What `ThreeWayDiff` produces and a driver applies.
public enum MergePatch {
    public static func apply(_ patch: Value, to target: Value) -> Value {
        guard case .map(let patchMap) = patch else { return patch }
        var result = target.mapValue ?? [:]
        for (key, value) in patchMap {
            if case .null = value {
                result[key] = nil
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .map(result)
    }
}
