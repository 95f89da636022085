import SluiceYAML
/// A workload kind Sluice does not know, described by the add-on that rolls it
/// (`spec.workloads` in `addon.yaml`): where its partition is, how many pods (or machines) it
/// wants, and which status fields report its progress, so that it steps and is judged like a
/// StatefulSet — on real clusters and in the simulation. KubeNode's MachineComponentSet, which
/// rolls node components machine by machine, is the example:
///
///     workloads:
///       - apiVersion: kubenode.alibabacloud.com/v1
///         kind: MachineComponentSet
///         partition: spec.updateStrategy.partition
///         maxUnavailable: spec.updateStrategy.maxUnavailable
///         replicas: perNode
///         status: {desired: status.desiredNumber, updated: status.updatedNumber, ready: status.readyNumber,
///                  updatedReady: status.updatedReadyNumber}
public struct WorkloadKind: Sendable, Equatable {
    public enum Replicas: Sendable, Equatable {
        /// One per node (a DaemonSet-like kind), for the simulation.
        case perNode
        /// Read from this field of the spec.
        case field([String])
    }

    public var group: String
    public var kind: String
    public var partitionPath: [String]
    public var maxUnavailablePath: [String]?
    public var replicas: Replicas
    public var observedGenerationPath: [String]
    public var desiredPath: [String]
    public var updatedPath: [String]
    public var readyPath: [String]
    public var updatedReadyPath: [String]

    public var key: String { "\(group)/\(kind)" }

    public init(group: String, kind: String, partitionPath: [String], maxUnavailablePath: [String]?, replicas: Replicas,
                observedGenerationPath: [String], desiredPath: [String], updatedPath: [String], readyPath: [String],
                updatedReadyPath: [String]) {
        self.group = group
        self.kind = kind
        self.partitionPath = partitionPath
        self.maxUnavailablePath = maxUnavailablePath
        self.replicas = replicas
        self.observedGenerationPath = observedGenerationPath
        self.desiredPath = desiredPath
        self.updatedPath = updatedPath
        self.readyPath = readyPath
        self.updatedReadyPath = updatedReadyPath
    }

    static let fields = ["apiVersion", "kind", "partition", "maxUnavailable", "replicas", "status"]
    static let statusFields = ["observedGeneration", "desired", "updated", "ready", "updatedReady"]

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink, path: String) -> WorkloadKind? {
        guard let reader = NodeReader(node, file: file, sink: sink, path: path, fields: fields),
              let apiVersion = reader.string("apiVersion", required: true), let kind = reader.string("kind", required: true),
              let partition = fieldPath(reader, "partition", path: path, required: true) else { return nil }
        let parts = apiVersion.value.split(separator: "/").map(String.init)
        guard parts.count == 2, parts[0].contains(".") else {
            sink.error(file, apiVersion.mark, "\(path).apiVersion must be group/version of a custom resource, such as kubenode.alibabacloud.com/v1")
            return nil
        }
        var replicas = Replicas.field(["spec", "replicas"])
        if let text = reader.string("replicas") {
            if text.value == "perNode" { replicas = .perNode } else if let fieldPath = fieldPath(reader, "replicas", path: path) {
                replicas = .field(fieldPath)
            }
        }
        let status = reader.object("status", fields: statusFields)
        func statusPath(_ key: String, _ fallback: String) -> [String] {
            status.flatMap { fieldPath($0, key, path: "\(path).status") } ?? fallback.split(separator: ".").map(String.init)
        }
        return WorkloadKind(group: parts[0], kind: kind.value, partitionPath: partition,
                            maxUnavailablePath: fieldPath(reader, "maxUnavailable", path: path), replicas: replicas,
                            observedGenerationPath: statusPath("observedGeneration", "status.observedGeneration"),
                            desiredPath: statusPath("desired", "status.replicas"), updatedPath: statusPath("updated", "status.updatedReplicas"),
                            readyPath: statusPath("ready", "status.readyReplicas"),
                            updatedReadyPath: statusPath("updatedReady", "status.updatedReadyReplicas"))
    }

    /// A dotted field path such as `spec.updateStrategy.partition`.
    private static func fieldPath(_ reader: NodeReader, _ key: String, path: String, required: Bool = false) -> [String]? {
        guard let text = reader.string(key, required: required) else { return nil }
        let parts = text.value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, !parts.contains(where: \.isEmpty), parts.count <= 16 else {
            reader.sink.error(reader.file, text.mark, "\(path).\(key) \"\(text.value)\" must be a dotted field path such as spec.updateStrategy.partition")
            return nil
        }
        return parts
    }
}
