/// `sluice.yaml`: the environments and the branch each one follows.
public struct Fleet: Sendable {
    public struct Environment: Sendable {
        public var name: Located<String>
        public var branch: Located<String>
        public var clusters: LabelSelector
        public var pipeline: Located<String>
    }

    public var header: ObjectHeader
    public var environments: [Environment]

    public var name: String { header.name.value }

    public func environment(named name: String) -> Environment? {
        environments.first { $0.name.value == name }
    }

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink) -> Fleet? {
        guard let (header, spec) = ObjectHeader.read(node, file: file, sink: sink, kind: "Fleet",
                                                     specFields: ["environments"]),
              let spec else { return nil }
        var environments: [Environment] = []
        var seen: [String: Mark] = [:]
        for (index, item) in (spec.list("environments", required: true) ?? []).enumerated() {
            guard let env = NodeReader(item, file: file, sink: sink, path: "spec.environments[\(index)]",
                                       fields: ["name", "branch", "clusters", "pipeline"]),
                  let name = env.string("name", required: true) else { continue }
            if let first = seen[name.value] {
                sink.error(file, name.mark, "duplicate environment \"\(name.value)\" (first at line \(first.line))")
            }
            seen[name.value] = name.mark
            guard let branch = env.string("branch", required: true),
                  let pipeline = env.string("pipeline", required: true),
                  let selector = LabelSelector.read(env.object("clusters", fields: LabelSelector.fields, required: true))
            else { continue }
            environments.append(Environment(name: name, branch: branch, clusters: selector, pipeline: pipeline))
        }
        if environments.isEmpty && sink.isEmpty {
            sink.error(file, node.mark, "spec.environments must list at least one environment")
        }
        return Fleet(header: header, environments: environments)
    }
}
