import SluiceModel
import SluiceYAML

/// Meta-config merge (DESIGN §1): maps merge deeply, lists and scalars replace, and an
/// explicit `null` in the override deletes the key.
public enum ValuesMerge {
    public static func merge(_ base: Value, _ override: Value) -> Value {
        guard case .map(var result) = base, case .map(let top) = override else {
            if case .null = override { return base }
            return override
        }
        for (key, value) in top {
            if case .null = value {
                result.removeValue(forKey: key)
            } else if let existing = result[key], case .map = existing, case .map = value {
                result[key] = merge(existing, value)
            } else {
                result[key] = value
            }
        }
        return .map(result)
    }
}
