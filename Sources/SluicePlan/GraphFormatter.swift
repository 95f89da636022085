/// Prints an add-on graph as text (levels), Graphviz dot, or a Mermaid flowchart.
public enum GraphFormatter {
    public enum Format: String, CaseIterable, Sendable { case text, dot, mermaid }

    public static func format(_ graph: AddonGraph, as format: Format) -> String {
        switch format {
        case .text:
            var out = "release \(graph.release): \(graph.order.count) add-ons in \(graph.levels.count) levels\n"
            for (index, level) in graph.levels.enumerated() {
                out += "  level \(index): " + level.map { name in
                    let deps = graph.dependencies[name] ?? []
                    return deps.isEmpty ? name : "\(name) (after \(deps.sorted().joined(separator: ", ")))"
                }.joined(separator: ", ") + "\n"
            }
            return out
        case .dot:
            var out = "digraph \"\(graph.release)\" {\n  rankdir=LR;\n"
            for name in graph.order {
                out += "  \"\(name)\";\n"
                for dep in (graph.dependencies[name] ?? []).sorted() { out += "  \"\(dep)\" -> \"\(name)\";\n" }
            }
            return out + "}\n"
        case .mermaid:
            var out = "flowchart LR\n"
            func id(_ name: String) -> String { name.map { $0.isLetter || $0.isNumber ? $0 : "_" }.reduce("") { $0 + String($1) } }
            for name in graph.order {
                out += "  \(id(name))[\"\(name)\"]\n"
                for dep in (graph.dependencies[name] ?? []).sorted() { out += "  \(id(dep)) --> \(id(name))\n" }
            }
            return out
        }
    }
}

extension RolloutOutline {
    /// A readable outline: one line per batch, add-on levels per cluster.
    public var text: String {
        var out = ""
        for environment in environments {
            out += "environment \(environment.name) (branch \(environment.branch), pipeline \(environment.pipeline))\n"
            for stage in environment.stages {
                var details: [String] = []
                if let order = stage.order { details.append("ordered by \(order)") }
                if let bake = stage.bake { details.append("bake \(bake)") }
                if stage.approval { details.append("approval required") }
                details.append("maxFailures \(stage.maxFailures)")
                out += "  stage \(stage.name) (\(details.joined(separator: ", ")))\n"
                for batch in stage.batches {
                    out += "    batch \(batch.number) [\(batch.step)]: \(batch.clusters.map(\.name).joined(separator: ", "))\n"
                }
            }
        }
        var seen = Set<String>()
        out += "add-ons in dependency order (levels apply in parallel):\n"
        for environment in environments {
            for cluster in environment.stages.flatMap({ $0.batches.flatMap(\.clusters) }) {
                let line = cluster.addonLevels.map { $0.joined(separator: " + ") }.joined(separator: " -> ")
                guard seen.insert("\(cluster.release)|\(line)").inserted else { continue }
                let sharing = environments.flatMap { $0.stages.flatMap { $0.batches.flatMap(\.clusters) } }
                    .filter { $0.release == cluster.release && $0.addonLevels == cluster.addonLevels }.count
                out += "  \(cluster.release) (\(sharing) cluster\(sharing == 1 ? "" : "s")): \(line)\n"
            }
        }
        return out
    }
}
