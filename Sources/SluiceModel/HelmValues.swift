import SluiceYAML

/// How Helm puts values together (`pkg/cli/values` and `chartutil`'s coalescing), so that a
/// chart add-on sees the values `helm template` would give it.
public enum ValuesMerging {
    /// Helm's merge of user-supplied values files, the later winning: maps merge key by key,
    /// anything else (a `null` too) replaces.
    public static func mergeMaps(_ base: [String: Value], _ top: [String: Value]) -> [String: Value] {
        var out = base
        for (key, value) in top {
            if case .map(let inner) = value, case .map(let existing)? = out[key] {
                out[key] = .map(mergeMaps(existing, inner))
            } else {
                out[key] = value
            }
        }
        return out
    }

    /// Helm's `CoalesceValues`: the user's values over the chart's defaults and, for each
    /// subchart, the values under its name over the subchart's defaults, with the parent's
    /// `global` passed down. A user's `null` deletes a chart default; a subchart's own
    /// default `null`s are dropped; maps merge, lists and scalars replace.
    /// Throws where a subchart's key holds something other than a map (as Helm refuses).
    public static func coalesce(_ chart: HelmChart, _ user: [String: Value]) throws(TypeMismatch) -> [String: Value] {
        var values = user
        try coalesce(chart, &values, prefix: "")
        return values
    }

    public struct TypeMismatch: Error, Sendable {
        /// The key, as a dotted path (`parent.subchart`).
        public var path: String
    }

    private static func coalesce(_ chart: HelmChart, _ values: inout [String: Value], prefix: String) throws(TypeMismatch) {
        coalesceValues(chart, &values, prefix: prefix)
        let subPrefix = prefix.isEmpty ? chart.name : prefix + "." + chart.name
        for subchart in chart.subcharts {
            var own: [String: Value]
            switch values[subchart.name] {
            case nil: own = [:]
            case .map(let map)?: own = map
            default: throw TypeMismatch(path: subPrefix + "." + subchart.name)
            }
            coalesceGlobals(into: &own, from: values)
            try coalesce(subchart, &own, prefix: subPrefix)
            values[subchart.name] = .map(own)
        }
    }

    /// The chart's defaults under `values` (which win).
    private static func coalesceValues(_ chart: HelmChart, _ values: inout [String: Value], prefix: String) {
        guard case .map(let defaults) = chart.values else { return }
        let subchartNames = Set(chart.subcharts.map(\.name))
        for (key, defaultValue) in defaults {
            if let value = values[key] {
                if case .null = value {
                    values.removeValue(forKey: key)
                } else if case .map(var destination) = value, case .map(var source) = defaultValue {
                    // A subchart's key merges with nulls kept (its own coalescing drops them).
                    let merge = subchartNames.contains(key)
                    if !merge && !prefix.isEmpty { source = withoutNulls(source) }
                    coalesceTables(&destination, source, merge: merge)
                    values[key] = .map(destination)
                }
            } else {
                // A subchart's default nulls are left out, the top chart's kept.
                if !prefix.isEmpty {
                    if case .null = defaultValue { continue }
                    if case .map(let map) = defaultValue { values[key] = .map(withoutNulls(map)); continue }
                }
                values[key] = defaultValue
            }
        }
    }

    /// `source` under `destination`, which wins. Coalescing (not merging), a `null` in
    /// `destination` over a non-null default deletes the key.
    static func coalesceTables(_ destination: inout [String: Value], _ source: [String: Value], merge: Bool) {
        var source = source
        let nonNullDefaults = Set(source.compactMap { $0.value == .null ? nil : $0.key })
        for (key, value) in destination where value == .null { source[key] = .null }
        for (key, value) in source {
            guard let existing = destination[key] else {
                destination[key] = value
                continue
            }
            if !merge && existing == .null && nonNullDefaults.contains(key) {
                destination.removeValue(forKey: key)
            } else if case .map(let inner) = value, case .map(var target) = existing {
                coalesceTables(&target, inner, merge: merge)
                destination[key] = .map(target)
            }
            // Otherwise the destination's value stands (a table is never replaced by a scalar).
        }
    }

    /// The parent's `global` over the subchart's own (the parent's wins).
    private static func coalesceGlobals(into subchart: inout [String: Value], from parent: [String: Value]) {
        var globals: [String: Value]
        switch subchart["global"] {
        case nil: globals = [:]
        case .map(let map)?: globals = map
        default: return
        }
        let parentGlobals: [String: Value]
        switch parent["global"] {
        case nil: parentGlobals = [:]
        case .map(let map)?: parentGlobals = map
        default: return
        }
        for (key, value) in parentGlobals {
            if case .map(var table) = value {
                if let existing = globals[key] {
                    if case .map(let own) = existing {
                        coalesceTables(&table, own, merge: true)
                        globals[key] = .map(table)
                    }
                } else {
                    globals[key] = .map(table)
                }
            } else if case .map? = globals[key] {
                continue
            } else {
                globals[key] = value
            }
        }
        subchart["global"] = .map(globals)
    }

    static func withoutNulls(_ map: [String: Value]) -> [String: Value] {
        var out: [String: Value] = [:]
        for (key, value) in map {
            switch value {
            case .null: continue
            case .map(let inner): out[key] = .map(withoutNulls(inner))
            default: out[key] = value
            }
        }
        return out
    }
}
