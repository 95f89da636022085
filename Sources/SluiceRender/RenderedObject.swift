import SluiceModel

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

    public var description: String {
        let kindPart = group.isEmpty ? kind : "\(kind).\(group)"
        return namespace.isEmpty ? "\(kindPart)/\(name)" : "\(kindPart) \(namespace)/\(name)"
    }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.group, a.kind, a.namespace, a.name) < (b.group, b.kind, b.namespace, b.name)
    }
}

/// One rendered Kubernetes object and the template it came from.
public struct RenderedObject: Sendable {
    public var key: ObjectKey
    public var apiVersion: String
    public var object: Value
    public var template: String

    public init(key: ObjectKey, apiVersion: String, object: Value, template: String) {
        self.key = key
        self.apiVersion = apiVersion
        self.object = object
        self.template = template
    }
}

/// The objects of one add-on on one cluster at one commit.
public struct RenderedAddon: Sendable {
    public var cluster: String
    public var addon: String
    public var objects: [RenderedObject]
    /// SHA-256 of what the objects are made from (the add-on's name and namespace and each
    /// template's rendered text), so it leaves out the commit annotation: equal digests mean
    /// equal objects whatever commit rendered them.
    public var digest: String

    public init(cluster: String, addon: String, objects: [RenderedObject], digest: String) {
        self.cluster = cluster
        self.addon = addon
        self.objects = objects
        self.digest = digest
    }
}
