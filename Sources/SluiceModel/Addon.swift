import SluiceYAML
/// `addons/<name>/addon.yaml`: one component, with its templates and default values.
public struct Addon: Sendable {
    public struct Rollout: Sendable {
        /// Cumulative updated pods per in-cluster step, e.g. `[1, "10%", "100%"]`.
        public var partitions: [BatchSize]
        public var bake: Duration?
    }

    /// How objects are written: the three-way JSON merge patch (the default), or Kubernetes
    /// server-side apply as field manager `sluice`.
    public enum ApplyMode: String, Sendable {
        case threeWayMerge
        case serverSide
    }

    public var header: ObjectHeader
    public var namespace: Located<String>
    public var dependsOn: [Located<String>]
    public var rollout: Rollout?
    /// `health.timeout`: a progress deadline, as Kubernetes' `progressDeadlineSeconds`: a
    /// pair fails when no pod became updated and ready for this long.
    public var healthTimeout: Duration?
    /// `health.deadline`: the longest one step may take however it progresses; none when nil.
    public var healthDeadline: Duration?
    public var dangerousFields: [DangerousField]
    public var applyMode: ApplyMode = .threeWayMerge
    /// Server-side apply only: take over fields another field manager owns (kubectl's
    /// `--force-conflicts`) instead of failing the pair with the owner named.
    public var forceConflicts = false
    /// Custom workload kinds this add-on rolls: their partition and status fields.
    public var workloads: [WorkloadKind] = []
    /// `addons/<name>`
    public var folder: String
    /// `values.yaml`, parsed with the untyped schema; an empty map when absent.
    public var values: Value
    public var valuesFile: String?
    /// Every file under `templates/`, in path order (a chart add-on's are its chart's).
    public var templates: [TemplateSource]
    /// The Helm chart of a chart add-on (a `Chart.yaml` beside `addon.yaml`): rendered in
    /// Helm's dialect, with Helm's values; nil for a native add-on.
    public var chart: HelmChart? = nil

    public var name: String { header.name.value }

    static let specFields = ["namespace", "dependsOn", "rollout", "health", "dangerousFields", "apply", "forceConflicts", "workloads", "description"]

    static func read(_ node: YAMLNode, file: String, folder: String, sink: DiagnosticSink) -> Addon? {
        guard let (header, spec) = ObjectHeader.read(node, file: file, sink: sink, kind: "Addon",
                                                     specFields: specFields),
              let spec else { return nil }
        let folderName = String(folder.split(separator: "/").last ?? "")
        if header.name.value != folderName {
            sink.error(file, header.name.mark, "add-on name \"\(header.name.value)\" must match its folder \"\(folderName)\"")
        }
        let namespace = spec.string("namespace", required: true) ?? Located("default", at: spec.node.mark)
        if !Names.isDNSLabel(namespace.value) {
            sink.error(file, namespace.mark, "spec.namespace \"\(namespace.value)\" is not a valid namespace name")
        }
        var rollout: Rollout?
        if let reader = spec.object("rollout", fields: ["partitions", "bake"]) {
            let partitions = BatchSize.readList(reader.list("partitions") ?? [], file: file, sink: sink,
                                                what: "spec.rollout.partitions")
            rollout = Rollout(partitions: partitions, bake: reader.duration("bake")?.value)
        }
        let health = spec.object("health", fields: ["timeout", "deadline"])
        let dangerous = (spec.list("dangerousFields") ?? []).enumerated().compactMap { index, item in
            DangerousField.read(item, file: file, sink: sink, path: "spec.dangerousFields[\(index)]")
        }
        var seen = Set<String>()
        let dependsOn = spec.stringList("dependsOn").filter { dependency in
            if dependency.value == header.name.value {
                sink.error(file, dependency.mark, "add-on \"\(dependency.value)\" cannot depend on itself")
                return false
            }
            if !seen.insert(dependency.value).inserted {
                sink.error(file, dependency.mark, "\"\(dependency.value)\" is listed twice in spec.dependsOn")
                return false
            }
            return true
        }
        var applyMode = ApplyMode.threeWayMerge
        if let mode = spec.string("apply") {
            if let known = ApplyMode(rawValue: mode.value) { applyMode = known } else {
                sink.error(file, mode.mark, "spec.apply must be \"threeWayMerge\" or \"serverSide\", found \"\(mode.value)\"")
            }
        }
        let force = spec.bool("forceConflicts") ?? false
        if force && applyMode != .serverSide {
            sink.error(file, spec.mark(of: "forceConflicts") ?? spec.node.mark, "spec.forceConflicts applies only with spec.apply: serverSide")
        }
        let workloads = (spec.list("workloads") ?? []).enumerated().compactMap { index, item in
            WorkloadKind.read(item, file: file, sink: sink, path: "spec.workloads[\(index)]")
        }
        return Addon(header: header, namespace: namespace, dependsOn: dependsOn, rollout: rollout,
                     healthTimeout: health?.duration("timeout")?.value, healthDeadline: health?.duration("deadline")?.value,
                     dangerousFields: dangerous, applyMode: applyMode,
                     forceConflicts: force, workloads: workloads, folder: folder, values: .map([:]), valuesFile: nil, templates: [])
    }
}

/// One template file of an add-on, as text.
public struct TemplateSource: Sendable, Equatable {
    /// Repo-relative path, e.g. `addons/dns/templates/deployment.yaml`.
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    /// Files whose name starts with `_` hold only `define`s (as in Helm) and render nothing.
    public var isHelper: Bool {
        (path.split(separator: "/").last ?? "").hasPrefix("_")
    }
}
