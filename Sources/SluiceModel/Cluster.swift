import SluiceYAML
/// `clusters/<name>.yaml`: one cluster's labels, connection, release and meta-config.
public struct Cluster: Sendable {
    public enum Connection: Sendable {
        case simulated(SimulatedConnection)
        /// A context of the kubeconfig on the machine Sluice runs on (`--kubeconfig`,
        /// `KUBECONFIG`, or in-cluster): credentials never come from the fleet repo.
        case kubernetes(context: String)
    }

    public struct SimulatedConnection: Sendable {
        public var nodes: Int
        /// Images matching one of these globs never become ready. Default: `*-broken*`.
        public var faultImages: [String]
        /// Whether `http` and `prometheus` checks of this cluster go to the network (`real`)
        /// or are answered by the simulated cluster from its pods (`simulated`, the default).
        public var realProbes: Bool
        public static let defaultFaultImages = ["*-broken*"]

        public init(nodes: Int, faultImages: [String], realProbes: Bool = false) {
            self.nodes = nodes
            self.faultImages = faultImages
            self.realProbes = realProbes
        }
    }

    public var header: ObjectHeader
    public var release: Located<String>
    public var connection: Connection
    /// Meta-config overrides per add-on, merged over the add-on's `values.yaml`.
    public var addonValues: [String: Located<Value>]
    public var disabledAddons: [Located<String>]
    /// `spec.kubernetesVersion`, as Helm writes a Kubernetes version (`v1.30.2`): what chart
    /// add-ons see as `.Capabilities.KubeVersion` and what a chart's `kubeVersion` is checked
    /// against. Nil: Helm's default (`HelmDefaults.kubeVersion`).
    public var kubernetesVersion: Located<String>? = nil

    public var name: String { header.name.value }
    public var labels: [String: String] { header.labels.mapValues(\.value) }

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink) -> Cluster? {
        guard let (header, spec) = ObjectHeader.read(node, file: file, sink: sink, kind: "Cluster",
                                                     specFields: ["release", "connection", "addons", "disabledAddons", "description", "kubernetesVersion"]),
              let spec else { return nil }
        let release = spec.string("release", required: true) ?? Located("", at: spec.node.mark)
        var connection = Connection.simulated(SimulatedConnection(nodes: 3, faultImages: SimulatedConnection.defaultFaultImages))
        if let reader = spec.object("connection", fields: ["simulated", "kubernetes"], required: true) {
            switch (reader.has("simulated"), reader.has("kubernetes")) {
            case (true, true), (false, false):
                sink.error(file, reader.node.mark, "spec.connection must have exactly one of \"simulated\" or \"kubernetes\"")
            case (true, false):
                let simulated = reader.object("simulated", fields: ["nodes", "faults", "probes"])
                var faults = SimulatedConnection.defaultFaultImages
                if let list = simulated?.list("faults") {
                    faults = list.enumerated().compactMap { index, item in
                        NodeReader(item, file: file, sink: sink, path: "spec.connection.simulated.faults[\(index)]",
                                   fields: ["image"])?.string("image", required: true)?.value
                    }
                }
                var realProbes = false
                if let probes = simulated?.string("probes") {
                    switch probes.value {
                    case "simulated": realProbes = false
                    case "real": realProbes = true
                    default: sink.error(file, probes.mark, "spec.connection.simulated.probes must be \"simulated\" or \"real\", found \"\(probes.value)\"")
                    }
                }
                connection = .simulated(SimulatedConnection(nodes: simulated?.int("nodes", range: 1...5_000)?.value ?? 3,
                                                            faultImages: faults, realProbes: realProbes))
            case (false, true):
                if let kube = reader.object("kubernetes", fields: ["context", "kubeconfig", "token", "server", "certificate-authority-data",
                                                                   "client-key-data", "client-certificate-data", "password"], required: true) {
                    // A kubeconfig path or credentials written in the repo are refused where they are written.
                    for field in ["kubeconfig", "token", "server", "certificate-authority-data", "client-key-data", "client-certificate-data", "password"] {
                        if let node = kube.node.mapping?.first(where: { $0.key.scalar?.text == field }) {
                            sink.error(file, node.key.mark, "spec.connection.kubernetes.\(field): the fleet repo names only a context; the kubeconfig and its credentials come from the machine Sluice runs on (--kubeconfig, KUBECONFIG or in-cluster)")
                        }
                    }
                    if let context = kube.string("context", required: true) { connection = .kubernetes(context: context.value) }
                }
            }
        }
        var addonValues: [String: Located<Value>] = [:]
        if let addons = spec["addons"], !addons.isNull {
            if let pairs = addons.mapping {
                for pair in pairs {
                    guard let name = pair.key.scalar?.text else { continue }
                    guard pair.value.mapping != nil || pair.value.isNull else {
                        sink.error(file, pair.value.mark, "spec.addons.\(name) must be a mapping of values, found \(pair.value.kindDescription)")
                        continue
                    }
                    addonValues[name] = Located(Value(pair.value), at: pair.key.mark)
                }
            } else {
                sink.error(file, addons.mark, "spec.addons must be a mapping of add-on name to values")
            }
        }
        var kubernetesVersion: Located<String>? = nil
        if let written = spec.string("kubernetesVersion") {
            // Helm's ParseKubeVersion: any semantic version, shown with a `v`.
            if let version = SemanticVersion(written.value) {
                kubernetesVersion = Located("v" + version.description, at: written.mark)
            } else {
                sink.error(file, written.mark, "spec.kubernetesVersion must be a Kubernetes version such as v1.30.2, found \"\(written.value)\"")
            }
        }
        return Cluster(header: header, release: release, connection: connection, addonValues: addonValues,
                       disabledAddons: spec.stringList("disabledAddons"), kubernetesVersion: kubernetesVersion)
    }
}
