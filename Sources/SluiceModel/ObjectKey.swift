/// Identifies a Kubernetes object within a cluster: group, kind, namespace, name.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var group: String
    public var kind: String
    public var namespace: String
    public var name: String

    public init(group: String, kind: String, namespace: String, name: String) {
        self.group = group
        self.kind = kind
        self.namespace = namespace
        self.name = name
    }

    /// A CustomResourceDefinition: what makes a cluster serve a new kind.
    public var isCustomResourceDefinition: Bool {
        group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition"
    }

    public var description: String {
        let kindPart = group.isEmpty ? kind : "\(kind).\(group)"
        return namespace.isEmpty ? "\(kindPart)/\(name)" : "\(kindPart) \(namespace)/\(name)"
    }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.group, a.kind, a.namespace, a.name) < (b.group, b.kind, b.namespace, b.name)
    }
}
