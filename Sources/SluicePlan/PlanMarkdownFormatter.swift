/// `sluice plan -o markdown`: a plan a pull request comment can hold. Per environment, its
/// stages and batches with what each cluster gets; the changed add-ons with their versions
/// and images before -> after; what needs a reviewer's eye (blocked pairs, unreachable
/// clusters, warnings); then the diffs, each distinct change once, folded in `<details>`.
/// Everything stays under `maxCharacters` (GitHub refuses comments over 65,536): what does not
/// fit is counted in a last line, never cut mid-block.
public struct PlanMarkdownFormatter: Sendable {
    public var maxCharacters: Int

    public init(maxCharacters: Int = 60_000) {
        self.maxCharacters = max(1_000, maxCharacters)
    }

    private let text = PlanTextFormatter(color: false)

    public func format(_ plan: FleetPlan) -> String {
        var out = Output(budget: maxCharacters - 400)
        let commit = plan.commit.count == 40 ? "`\(plan.commit.prefix(12))`" : Self.cell(plan.commit)
        out.add("### Sluice plan for \(commit)\n\n**\(text.describe(plan.summary))**\n")
        var diffs: [String] = []
        for environment in plan.environments {
            out.add(overview(environment))
            diffs += self.diffs(environment)
        }
        for diff in diffs { out.add(diff) }
        var result = out.text
        if out.leftOut > 0 {
            result += "\n_\(out.leftOut) more section\(out.leftOut == 1 ? "" : "s") left out to stay under \(maxCharacters) characters: "
                + "`sluice plan` shows the whole plan._\n"
        }
        return result
    }

    /// An environment's pipeline table, changed add-ons and what needs attention.
    private func overview(_ environment: FleetPlan.Environment) -> String {
        var lines = ["", "#### \(Self.cell(environment.name))", "",
                     "Branch `\(Self.cell(environment.branch))`, pipeline `\(Self.cell(environment.pipeline))`: \(text.describe(environment.summary))", ""]
        let clusters = environment.stages.flatMap { $0.batches.flatMap(\.clusters) }
        guard environment.summary.hasChanges else { return lines.joined(separator: "\n") + "\n" }
        lines += ["| Stage | Batch | Cluster | Changes |", "|---|---|---|---|"]
        for stage in environment.stages {
            for batch in stage.batches {
                for cluster in batch.clusters where cluster.summary.hasChanges {
                    lines.append("| \(Self.cell(stage.name)) | \(batch.number) | \(Self.cell(cluster.name)) | \(Self.cell(text.describe(cluster.summary))) |")
                }
            }
        }
        // Each add-on change (versions and images) with how many clusters get it.
        var changes: [(addon: String, versions: String, clusters: Int)] = []
        var index: [String: Int] = [:]
        for cluster in clusters {
            for addon in cluster.addons where !addon.objects.isEmpty {
                let versions = text.versions(addon.release)
                let key = addon.name + "\u{0}" + versions
                if let at = index[key] { changes[at].clusters += 1 } else {
                    index[key] = changes.count
                    changes.append((addon.name, versions, 1))
                }
            }
        }
        if !changes.isEmpty {
            lines += ["", "| Add-on | Clusters | Version and images |", "|---|---|---|"]
            for change in changes {
                lines.append("| \(Self.cell(change.addon)) | \(change.clusters) | \(Self.cell(change.versions)) |")
            }
        }
        var attention: [String] = []
        for cluster in clusters {
            if let why = cluster.unreachable {
                attention.append("- :x: **\(Self.cell(cluster.name))** \(cluster.summary.refused > 0 ? "refused" : "unreachable"): \(Self.cell(why))")
            }
            for addon in cluster.addons {
                for reason in addon.blocked { attention.append("- :x: **\(Self.cell(cluster.name))/\(Self.cell(addon.name))** blocked: \(Self.cell(reason))") }
                for warning in addon.warnings { attention.append("- :warning: \(Self.cell(cluster.name))/\(Self.cell(addon.name)): \(Self.cell(warning))") }
            }
        }
        if !attention.isEmpty { lines += ["", "**Needs attention**", ""] + attention }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Each distinct add-on change of the environment once, in rollout order, folded.
    private func diffs(_ environment: FleetPlan.Environment) -> [String] {
        let sharing = PlanTextFormatter.sharing(environment)
        var shown: Set<String> = []
        var sections: [String] = []
        for cluster in environment.stages.flatMap({ $0.batches.flatMap(\.clusters) }) {
            let shapes = sharing.shapes[cluster.name] ?? cluster.addons.map(PlanTextFormatter.shape)
            for (addon, shape) in zip(cluster.addons, shapes) where !addon.objects.isEmpty && shown.insert(shape).inserted {
                let others = (sharing.clusters[shape] ?? []).count - 1
                var counts = FleetPlan.Summary()
                for object in addon.objects { counts.count(object.action) }
                var body = (addon.hooks ?? []).map { "# runs hook \($0)" }
                for object in addon.objects {
                    let place = object.namespace.isEmpty ? object.name : "\(object.namespace)/\(object.name)"
                    body.append("# \(object.action.rawValue) \(object.kind) \(place) (\(object.apiVersion))")
                    if let diff = object.diff, !diff.isEmpty { body.append(diff.hasSuffix("\n") ? String(diff.dropLast()) : diff) }
                }
                let content = body.joined(separator: "\n")
                let fence = String(repeating: "`", count: max(3, Self.longestBacktickRun(content) + 1))
                let also = others > 0 ? " and \(others) more cluster\(others == 1 ? "" : "s")" : ""
                sections.append("""

                    <details><summary>\(Self.html(environment.name)): <code>\(Self.html(addon.name))</code> on \(Self.html(cluster.name))\(also): \(Self.html(text.describe(counts)))</summary>

                    \(fence)diff
                    \(content)
                    \(fence)

                    </details>

                    """)
            }
        }
        return sections
    }

    /// What goes in a table cell or a line: no line breaks, `|` escaped.
    static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "|", with: "\\|")
    }

    static func html(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func longestBacktickRun(_ text: String) -> Int {
        var longest = 0, run = 0
        for character in text.utf8 {
            run = character == UInt8(ascii: "`") ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    /// Sections added while they fit: one that does not is left out whole, and counted. The
    /// overviews come first, so diffs never push one out.
    private struct Output {
        var budget: Int
        var text = ""
        var used = 0
        var leftOut = 0

        mutating func add(_ section: String) {
            let size = section.count
            guard used + size <= budget else {
                leftOut += 1
                return
            }
            text += section
            used += size
        }
    }
}
