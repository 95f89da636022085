import SluiceModel
import SluiceYAML

/// One rendered Kubernetes object and the template it came from.
public struct RenderedObject: Sendable {
    public var key: ObjectKey
    public var apiVersion: String
    public var object: Value
    public var template: String
    /// For a chart add-on's object, Helm's name of its template (`chart/templates/x.yaml`,
    /// `chart/charts/sub/templates/y.yaml`), which `# Source:` lines show as `helm template` does.
    public var helmSource: String?
    /// A chart's hook: run around the apply, never applied, diffed or pruned as an object.
    public var hook: ChartHook?

    public init(key: ObjectKey, apiVersion: String, object: Value, template: String, helmSource: String? = nil) {
        self.key = key
        self.apiVersion = apiVersion
        self.object = object
        self.template = template
        self.helmSource = helmSource
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
