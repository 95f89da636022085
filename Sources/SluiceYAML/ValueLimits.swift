/// How deep a value may nest, wherever it comes from (a YAML file, a template's output, a
/// value a template builds): every walk over values is recursive (emitting, comparing,
/// merging, freeing), and a value 100,000 levels deep would overflow the stack. Real
/// manifests and meta-configs nest a few tens of levels.
public enum ValueLimits {
    public static let nesting = 256
}

/// What is wrong with a value past a limit.
public enum ValueExcess: Sendable, Equatable {
    case nesting
    case nodes
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

    /// Whether the value nests deeper than `nesting` levels or holds more than `nodes` nodes
    /// (lists, maps and scalars, each counted once per place it appears). The walk stops at
    /// the first excess, so it costs at most `nodes` steps: a value a template doubled 40
    /// times (`list $s $s`, shared, so cheap to build) is 2^40 nodes and is stopped at once.
    public func exceeds(nesting: Int, nodes: Int) -> ValueExcess? {
        var budget = nodes
        var stack: [(value: Value, depth: Int)] = [(self, 0)]
        while let (value, depth) = stack.popLast() {
            budget -= 1
            if budget < 0 { return .nodes }
            switch value {
            case .list(let items):
                guard depth < nesting || items.isEmpty else { return .nesting }
                for item in items { stack.append((item, depth + 1)) }
            case .map(let map):
                guard depth < nesting || map.isEmpty else { return .nesting }
                for item in map.values { stack.append((item, depth + 1)) }
            default:
                continue
            }
        }
        return nil
    }
}
