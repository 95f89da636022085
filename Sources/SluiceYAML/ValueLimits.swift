/// How deep a value may nest, wherever it comes from (a YAML file, a template's output, a
/// value a template builds): every walk over values is recursive (emitting, comparing,
/// merging, freeing), and a value 100,000 levels deep would overflow the stack. Real
/// manifests and meta-configs nest a few tens of levels.
public enum ValueLimits {
    public static let nesting = 256
}

extension Value {
    /// Whether the value nests deeper than `limit` levels (a scalar is at level 0). Stops
    /// descending at the limit, so a deep value costs at most `limit` levels of recursion.
    public func nests(deeperThan limit: Int) -> Bool {
        switch self {
        case .list(let items):
            guard limit > 0 else { return true }
            return items.contains { $0.nests(deeperThan: limit - 1) }
        case .map(let map):
            guard limit > 0 else { return true }
            return map.values.contains { $0.nests(deeperThan: limit - 1) }
        default:
            return false
        }
    }
}
