import SluiceYAML
/// `sluice.yaml`: the environments and the branch each one follows.
public struct Fleet: Sendable {
    public struct Environment: Sendable {
        public var name: Located<String>
        public var branch: Located<String>
        public var clusters: LabelSelector
        public var pipeline: Located<String>
        /// What a re-sync does about live objects that drifted from their recorded commit.
        public var drift: Drift = .report
    }

    public enum Drift: String, Sendable { case report, correct }

    public var header: ObjectHeader
    public var environments: [Environment]
    /// Where events go (`NotificationRoute`); nil when sluice.yaml says nothing (the machine's
    /// notifications file then decides alone).
    public var notifications: [NotificationRoute]?

    public var name: String { header.name.value }

    public func environment(named name: String) -> Environment? {
        environments.first { $0.name.value == name }
    }

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink) -> Fleet? {
        guard let (header, spec) = ObjectHeader.read(node, file: file, sink: sink, kind: "Fleet",
                                                     specFields: ["environments", "notifications"]),
              let spec else { return nil }
        var environments: [Environment] = []
        var seen: [String: Mark] = [:]
        for (index, item) in (spec.list("environments", required: true) ?? []).enumerated() {
            guard let env = NodeReader(item, file: file, sink: sink, path: "spec.environments[\(index)]",
                                       fields: ["name", "branch", "clusters", "pipeline", "drift"]),
                  let name = env.string("name", required: true) else { continue }
            if let first = seen[name.value] {
                sink.error(file, name.mark, "duplicate environment \"\(name.value)\" (first at line \(first.line))")
            }
            seen[name.value] = name.mark
            guard let branch = env.string("branch", required: true),
                  let pipeline = env.string("pipeline", required: true),
                  let selector = LabelSelector.read(env.object("clusters", fields: LabelSelector.fields, required: true))
            else { continue }
            var drift = Drift.report
            if let text = env.string("drift") {
                if let parsed = Drift(rawValue: text.value) { drift = parsed } else {
                    sink.error(file, text.mark, "spec.environments[\(index)].drift must be \"report\" or \"correct\", found \"\(text.value)\"")
                }
            }
            environments.append(Environment(name: name, branch: branch, clusters: selector, pipeline: pipeline, drift: drift))
        }
        if environments.isEmpty && sink.isEmpty {
            sink.error(file, node.mark, "spec.environments must list at least one environment")
        }
        let notifications = spec.list("notifications").map {
            NotificationRoute.read($0, environments: Set(environments.map(\.name.value)), file: file, sink: sink)
        }
        return Fleet(header: header, environments: environments, notifications: notifications)
    }
}
