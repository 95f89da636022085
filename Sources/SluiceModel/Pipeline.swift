import SluiceYAML
/// `pipelines/<name>.yaml`: the stages a change walks through, and the checks they use.
public struct Pipeline: Sendable {
    public struct Stage: Sendable {
        public enum OnFailure: String, Sendable { case halt, rollback }
        /// What a batch does about a cluster it cannot reach: wait for it (the default), or go
        /// on without it and give it the commit when it is back.
        public enum Unreachable: String, Sendable { case wait, skip }
        public var name: Located<String>
        public var clusters: LabelSelector
        /// Sort key: a label name; clusters sort by it (numerically when both are numbers), then by name.
        public var order: String?
        public var batches: [BatchSize]
        public var maxConcurrency: Int?
        public var maxFailures: Int
        public var bake: Duration?
        public var approval: Bool
        public var onFailure: OnFailure
        public var unreachable: Unreachable = .wait
        public var preChecks: [Located<String>]
        public var postChecks: [Located<String>]
    }

    public var header: ObjectHeader
    public var stages: [Stage]
    public var checks: [String: Check]
    /// A head that undoes a halted rollout's change goes to the clusters that change reached
    /// at once, without windows, approvals or bakes (`spec.fastRollback: false` opts out).
    public var fastRollback = true

    public var name: String { header.name.value }

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink) -> Pipeline? {
        guard let (header, spec) = ObjectHeader.read(node, file: file, sink: sink, kind: "Pipeline",
                                                     specFields: ["stages", "checks", "fastRollback", "description"]),
              let spec else { return nil }
        var checks: [String: Check] = [:]
        if let node = spec["checks"], let pairs = node.mapping {
            for pair in pairs {
                guard let name = pair.key.scalar?.text else { continue }
                if let check = Check.read(pair.value, name: Located(name, at: pair.key.mark), file: file, sink: sink) {
                    checks[name] = check
                }
            }
        } else if let node = spec["checks"], !node.isNull {
            sink.error(file, node.mark, "spec.checks must be a mapping of check name to definition")
        }
        var stages: [Stage] = []
        var seen: [String: Mark] = [:]
        let stageFields = ["name", "clusters", "order", "batches", "maxConcurrency", "maxFailures", "bake",
                           "approval", "onFailure", "unreachable", "checks"]
        for (index, item) in (spec.list("stages", required: true) ?? []).enumerated() {
            let path = "spec.stages[\(index)]"
            guard let stage = NodeReader(item, file: file, sink: sink, path: path, fields: stageFields),
                  let name = stage.string("name", required: true) else { continue }
            if let first = seen[name.value] {
                sink.error(file, name.mark, "duplicate stage \"\(name.value)\" (first at line \(first.line))")
            }
            seen[name.value] = name.mark
            let selector = LabelSelector.read(stage.object("clusters", fields: LabelSelector.fields, required: true))
            let batchNodes = stage.list("batches") ?? []
            var batches = BatchSize.readList(batchNodes, file: file, sink: sink, what: "\(path).batches")
            if batchNodes.isEmpty { batches = [.percent(100)] }
            var onFailure = Stage.OnFailure.halt
            if let text = stage.string("onFailure") {
                if let parsed = Stage.OnFailure(rawValue: text.value) { onFailure = parsed } else {
                    sink.error(file, text.mark, "\(path).onFailure must be \"halt\" or \"rollback\", found \"\(text.value)\"")
                }
            }
            var unreachable = Stage.Unreachable.wait
            if let text = stage.string("unreachable") {
                if let parsed = Stage.Unreachable(rawValue: text.value) { unreachable = parsed } else {
                    sink.error(file, text.mark, "\(path).unreachable must be \"wait\" or \"skip\", found \"\(text.value)\"")
                }
            }
            let stageChecks = stage.object("checks", fields: ["pre", "post"])
            let pre = stageChecks?.stringList("pre") ?? [], post = stageChecks?.stringList("post") ?? []
            for reference in pre + post where checks[reference.value] == nil {
                sink.error(file, reference.mark, "check \"\(reference.value)\" is not defined in spec.checks\(Suggestion.hint(for: reference.value, in: checks.keys))")
            }
            guard let selector else { continue }
            stages.append(Stage(
                name: name, clusters: selector, order: stage.string("order")?.value, batches: batches,
                maxConcurrency: stage.int("maxConcurrency", range: 1...10_000)?.value,
                maxFailures: stage.int("maxFailures")?.value ?? 0, bake: stage.duration("bake")?.value,
                approval: stage.bool("approval") ?? false, onFailure: onFailure, unreachable: unreachable,
                preChecks: pre, postChecks: post))
        }
        return Pipeline(header: header, stages: stages, checks: checks, fastRollback: spec.bool("fastRollback") ?? true)
    }
}
