/// `sluice plan`'s text: the plan in rollout order, a summary line per cluster, a unified diff
/// per changed object, and a last line for the whole plan. ANSI colour only when asked (the
/// CLI asks when standard output is a terminal and `NO_COLOR` is not set).
public struct PlanTextFormatter: Sendable {
    public var color: Bool

    public init(color: Bool) { self.color = color }

    private enum Paint: String {
        case red = "31", green = "32", yellow = "33", cyan = "36", bold = "1", dim = "2"
    }

    private func paint(_ text: String, _ paint: Paint) -> String {
        color ? "\u{1B}[\(paint.rawValue)m\(text)\u{1B}[0m" : text
    }

    public func format(_ plan: FleetPlan) -> String {
        var out: [String] = ["Plan for \(plan.commit.count == 40 ? "commit \(plan.commit.prefix(12))" : plan.commit)"]
        for environment in plan.environments {
            out.append("")
            out.append(paint("environment \(environment.name)", .bold) + " (branch \(environment.branch), pipeline \(environment.pipeline)): \(describe(environment.summary))")
            let shared = Self.sharing(environment)
            var shown: [String: String] = [:]
            for stage in environment.stages {
                out.append("  stage \(stage.name)")
                for batch in stage.batches {
                    out.append("    batch \(batch.number) (up to \(batch.step))")
                    for cluster in batch.clusters { out += lines(for: cluster, shared: shared, shown: &shown) }
                }
            }
        }
        out.append("")
        // The planner's own counters (pairs rendered or not) are for JSON and benchmarks, not reviewers.
        out.append(paint("Plan: \(describe(plan.summary))", .bold))
        return out.joined(separator: "\n") + "\n"
    }

    /// An add-on's change as a reviewer reads it: the same key for the same objects, diffs,
    /// refusals and warnings, whatever the cluster.
    static func shape(_ addon: FleetPlan.AddonPlan) -> String {
        var key = addon.name + "\u{0}" + addon.blocked.joined(separator: "\u{1}") + "\u{0}" + addon.warnings.joined(separator: "\u{1}")
        for object in addon.objects {
            key += "\u{0}\(object.action.rawValue)|\(object.apiVersion)|\(object.kind)|\(object.namespace)|\(object.name)|\(object.diff ?? "")"
        }
        for hook in addon.hooks ?? [] { key += "\u{0}hook|\(hook)" }
        return key
    }

    /// Which add-on changes of an environment are alike: each cluster's add-on shapes (made
    /// once: a shape holds the diffs) and, for each shape, its clusters in rollout order.
    struct Sharing {
        var shapes: [String: [String]] = [:]
        var clusters: [String: [String]] = [:]
    }

    static func sharing(_ environment: FleetPlan.Environment) -> Sharing {
        var sharing = Sharing()
        for cluster in environment.stages.flatMap({ $0.batches.flatMap(\.clusters) }) {
            let shapes = cluster.addons.map(shape)
            sharing.shapes[cluster.name] = shapes
            for shape in shapes { sharing.clusters[shape, default: []].append(cluster.name) }
        }
        return sharing
    }

    /// A cluster's lines. An add-on change planned on several clusters is printed in full
    /// once, with the clusters it applies to; later clusters point back to it (one image bump
    /// on 14 clusters is one diff, not 14).
    private func lines(for cluster: FleetPlan.ClusterPlan, shared: Sharing, shown: inout [String: String]) -> [String] {
        var out = ["      cluster \(paint(cluster.name, .bold)): \(describe(cluster.summary))"]
        if let why = cluster.unreachable {
            out.append("        " + paint(cluster.summary.refused > 0 ? "! refused: \(why)" : "! live objects unavailable: \(why)", .red))
        }
        let shapes = shared.shapes[cluster.name] ?? cluster.addons.map(Self.shape)
        for (addon, shape) in zip(cluster.addons, shapes) {
            if let first = shown[shape] {
                out.append("        add-on \(addon.name): the same change as on \(first) (above)")
                continue
            }
            shown[shape] = cluster.name
            let recorded = addon.recordedCommit.map { " (recorded \($0.prefix(12)))" } ?? " (not applied before)"
            let others = (shared.clusters[shape] ?? []).filter { $0 != cluster.name }
            let also = others.isEmpty ? "" : paint(" — the same on \(others.count) more cluster\(others.count == 1 ? "" : "s"): \(others.joined(separator: ", "))", .cyan)
            out.append("        add-on \(addon.name)" + paint(recorded, .dim) + also)
            for reason in addon.blocked { out.append("          " + paint("x blocked: \(reason)", .red)) }
            for warning in addon.warnings { out.append("          " + paint("! \(warning)", .yellow)) }
            for hook in addon.hooks ?? [] { out.append("          " + paint("> runs hook \(hook)", .cyan)) }
            for object in addon.objects {
                let (sign, tint): (String, Paint) = switch object.action {
                case .create: ("+", .green)
                case .update: ("~", .yellow)
                case .delete: ("-", .red)
                case .recreate: ("-/+", .red)
                }
                let place = object.namespace.isEmpty ? object.name : "\(object.namespace)/\(object.name)"
                out.append("          " + paint("\(sign) \(object.action.rawValue) \(object.kind) \(place)", tint)
                           + paint(" (\(object.apiVersion))", .dim))
                for line in (object.diff ?? "").split(separator: "\n", omittingEmptySubsequences: false) where !(object.diff ?? "").isEmpty {
                    out.append("              " + diffLine(String(line)))
                }
            }
        }
        return out
    }

    /// `sluice plan --summary`: one line per (stage, batch, cluster, add-on) with something to
    /// do, with the add-on's release version (and changed images) before -> after.
    public func summary(_ plan: FleetPlan) -> String {
        var out: [String] = []
        for environment in plan.environments {
            for stage in environment.stages {
                for batch in stage.batches {
                    for cluster in batch.clusters {
                        let place = "\(environment.name) \(stage.name) batch \(batch.number) \(cluster.name)"
                        if let why = cluster.unreachable {
                            out.append("\(place): " + paint("\(cluster.summary.refused > 0 ? "refused" : "unreachable"): \(why)", .red))
                        }
                        for addon in cluster.addons where !addon.objects.isEmpty || !addon.blocked.isEmpty {
                            var line = "\(place) \(paint(addon.name, .bold)): " + versions(addon.release)
                            var counts = FleetPlan.Summary()
                            for object in addon.objects { counts.count(object.action) }
                            if !addon.blocked.isEmpty { counts.blocked = 1 }
                            line += " (\(describe(counts)))"
                            out.append(line)
                        }
                    }
                }
            }
        }
        out.append(paint("Plan: \(describe(plan.summary))", .bold))
        return out.joined(separator: "\n") + "\n"
    }

    /// `1.11.3 -> 1.11.4`, with the images that change: `main: ...:v1.11.3 -> ...:v1.11.4`.
    func versions(_ change: FleetPlan.ReleaseChange?) -> String {
        guard let change else { return "?" }
        var text = "\(change.before?.version ?? "(new)") -> \(change.after?.version ?? "(removed)")"
        let names = Set(change.before?.images.keys.map { $0 } ?? []).union(change.after?.images.keys.map { $0 } ?? []).sorted()
        let images = names.compactMap { name -> String? in
            let old = change.before?.images[name], new = change.after?.images[name]
            guard old != new, change.before != nil else { return nil }
            return "\(name) \(old ?? "(none)") -> \(new ?? "(none)")"
        }
        if !images.isEmpty { text += ", images " + images.joined(separator: ", ") }
        return text
    }

    private func diffLine(_ line: String) -> String {
        switch line.first {
        case "+": return paint(line, .green)
        case "-": return paint(line, .red)
        case "@": return paint(line, .cyan)
        default: return line
        }
    }

    /// `2 to create, 1 to update, 11 add-ons unchanged`; only the counts that are not zero.
    func describe(_ summary: FleetPlan.Summary) -> String {
        var parts: [String] = []
        if summary.create > 0 { parts.append(paint("\(summary.create) to create", .green)) }
        if summary.update > 0 { parts.append(paint("\(summary.update) to update", .yellow)) }
        if summary.recreate > 0 { parts.append(paint("\(summary.recreate) to recreate", .red)) }
        if summary.delete > 0 { parts.append(paint("\(summary.delete) to delete", .red)) }
        if summary.blocked > 0 { parts.append(paint("\(summary.blocked) add-on\(summary.blocked == 1 ? "" : "s") blocked", .red)) }
        if summary.unreachable > 0 { parts.append(paint("\(summary.unreachable) cluster\(summary.unreachable == 1 ? "" : "s") unreachable", .red)) }
        if parts.isEmpty { parts.append("no changes") }
        if summary.unchangedAddons > 0 {
            parts.append("\(summary.unchangedAddons) add-on\(summary.unchangedAddons == 1 ? "" : "s") unchanged")
        }
        return parts.joined(separator: ", ")
    }
}
