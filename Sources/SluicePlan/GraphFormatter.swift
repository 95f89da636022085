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
            return GraphFormatter.format([graph], as: Format.mermaid)
        }
    }

    /// Several releases' graphs as one document: text and dot one after another (Graphviz
    /// reads several digraphs from one file), Mermaid as one flowchart with a subgraph per
    /// release (a Mermaid document holds one diagram).
    public static func format(_ graphs: [AddonGraph], as format: Format) -> String {
        guard format == .mermaid else { return graphs.map { GraphFormatter.format($0, as: format) }.joined() }
        func id(_ name: String) -> String { String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" }) }
        var out = "flowchart LR\n"
        let nested = graphs.count > 1
        for graph in graphs {
            // Node ids carry the release when there are several, so that subgraphs stay apart.
            let prefix = nested ? "r_" + id(graph.release) + "__" : ""
            let indent = nested ? "    " : "  "
            if nested { out += "  subgraph \(prefix)[\"release \(graph.release)\"]\n" }
            for name in graph.order {
                out += "\(indent)\(prefix)\(id(name))[\"\(name)\"]\n"
                for dep in (graph.dependencies[name] ?? []).sorted() { out += "\(indent)\(prefix)\(id(dep)) --> \(prefix)\(id(name))\n" }
            }
            if nested { out += "  end\n" }
        }
        return out
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
        // One line per release and add-on order, naming the clusters that share it (one pass).
        var groups: [(key: String, release: String, line: String, clusters: [String])] = []
        var index: [String: Int] = [:]
        for environment in environments {
            for cluster in environment.stages.flatMap({ $0.batches.flatMap(\.clusters) }) {
                let line = cluster.addonLevels.map { $0.joined(separator: " + ") }.joined(separator: " -> ")
                let key = "\(cluster.release)|\(line)"
                if let at = index[key] { groups[at].clusters.append(cluster.name) } else {
                    index[key] = groups.count
                    groups.append((key, cluster.release, line, [cluster.name]))
                }
            }
        }
        out += "add-ons in dependency order (levels apply in parallel):\n"
        for group in groups {
            let names = group.clusters.sorted()
            let shown = names.prefix(8).joined(separator: ", ") + (names.count > 8 ? " and \(names.count - 8) more" : "")
            out += "  \(group.release) (\(names.count) cluster\(names.count == 1 ? "" : "s"): \(shown)): \(group.line)\n"
        }
        return out
    }
}
