import SluiceYAML

/// Helm's `ProcessDependencies` for one render: the subcharts Chart.yaml lists, found in
/// `charts/` by name and a version its range allows, renamed by their `alias`, kept or left
/// out by `tags` and then `condition` (paths into the coalesced values, the first that holds a
/// boolean deciding), level by level; then `import-values` copied from children into their
/// parent's values (below the parent's own). A listed dependency that is not vendored is an
/// error naming it: nothing is downloaded while rendering.
public enum HelmDependencies {
    public struct Missing: Error, Sendable {
        public var chart: String
        public var dependency: String
        public var version: String
    }

    public static func process(_ chart: HelmChart, values: [String: Value]) throws(Missing) -> HelmChart {
        var processed = try enabled(chart, values: values, path: "")
        importValues(&processed)
        return processed
    }

    private static func enabled(_ chart: HelmChart, values: [String: Value], path: String) throws(Missing) -> HelmChart {
        guard !chart.metadata.dependencies.isEmpty else { return chart }
        var result = chart
        // Subcharts Chart.yaml does not list stay as they are.
        var subcharts = chart.subcharts.filter { existing in
            !chart.metadata.dependencies.contains { $0.name == existing.name && compatible($0.version, existing.metadata.version) }
        }
        var requirements = chart.metadata.dependencies
        for index in requirements.indices {
            let requirement = requirements[index]
            guard var found = chart.subcharts.first(where: { $0.name == requirement.name && compatible(requirement.version, $0.metadata.version) }) else {
                throw Missing(chart: chart.name, dependency: requirement.name, version: requirement.version)
            }
            if !requirement.alias.isEmpty {
                found.metadata.name = requirement.alias
                if case .map(var map) = found.metadata.value {
                    map["Name"] = .string(requirement.alias)
                    found.metadata.value = .map(map)
                }
                requirements[index].name = requirement.alias
            }
            subcharts.append(found)
        }
        result.subcharts = subcharts
        let coalesced = (try? ValuesMerging.coalesce(result, values)) ?? values
        var disabled = Set<String>()
        for requirement in requirements {
            var on = true
            // Tags first: a dependency with only false tags is off, any true tag turns it on.
            if case .map(let tags)? = coalesced["tags"] {
                let flags = requirement.tags.compactMap { tag -> Bool? in if case .bool(let b)? = tags[tag] { return b }; return nil }
                if !flags.contains(true) && flags.contains(false) { on = false }
            }
            // Then the first condition path that holds a boolean.
            for condition in requirement.condition.trimmingCharacters(in: .whitespaces).split(separator: ",") where !condition.isEmpty {
                if case .bool(let b)? = pathValue(coalesced, path + condition) { on = b; break }
            }
            if !on { disabled.insert(requirement.name) }
        }
        var kept: [HelmChart] = []
        for subchart in result.subcharts where !disabled.contains(subchart.name) {
            kept.append(try enabled(subchart, values: coalesced, path: path + subchart.name + "."))
        }
        result.subcharts = kept
        result.metadata.dependencies = requirements.filter { !disabled.contains($0.name) }
        if case .map(var map) = result.metadata.value {
            map["Dependencies"] = .list(result.metadata.dependencies.map(\.value))
            result.metadata.value = .map(map)
        }
        return result
    }

    /// `import-values`: a child's `exports.<name>` (a string entry) or `child` path (a map
    /// entry with `parent`) copied into the parent's defaults, the parent's own winning.
    private static func importValues(_ chart: inout HelmChart) {
        for index in chart.subcharts.indices { importValues(&chart.subcharts[index]) }
        let imports = chart.metadata.dependencies.filter { !$0.importValues.isEmpty }
        guard !imports.isEmpty, let own = try? ValuesMerging.coalesce(chart, [:]) else { return }
        var imported: [String: Value] = [:]
        for requirement in imports {
            for entry in requirement.importValues {
                var childPath: String, parentPath: String
                switch entry {
                case .string(let name): (childPath, parentPath) = ("exports." + name, ".")
                case .map(let map): (childPath, parentPath) = (map["child"]?.stringValue ?? "", map["parent"]?.stringValue ?? "")
                default: continue
                }
                guard case .map(let table)? = pathValue(own, requirement.name + "." + childPath) else { continue }
                let placed = parentPath == "." ? table : nested(parentPath.split(separator: ".").map(String.init), table)
                ValuesMerging.coalesceTables(&imported, placed, merge: true)
            }
        }
        var values = own
        ValuesMerging.coalesceTables(&values, imported, merge: true)
        chart.values = .map(values)
    }

    private static func nested(_ path: [String], _ table: [String: Value]) -> [String: Value] {
        var current: [String: Value] = table
        for key in path.reversed() { current = [key: .map(current)] }
        return current
    }

    /// Helm's `Values.PathValue`: a dotted path through maps; nil when it leads nowhere.
    static func pathValue(_ values: [String: Value], _ path: String) -> Value? {
        let keys = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var current: Value = .map(values)
        for key in keys {
            guard case .map(let map) = current, let next = map[key] else { return nil }
            current = next
        }
        return current
    }

    /// Helm's `IsCompatibleRange`: the version satisfies the range (an unreadable one does not).
    static func compatible(_ range: String, _ version: String) -> Bool {
        guard let version = SemanticVersion(version), let constraint = SemverRange(range) else { return false }
        return constraint.isSatisfied(by: version)
    }
}
