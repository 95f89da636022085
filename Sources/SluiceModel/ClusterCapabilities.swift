/// What a Kubernetes cluster says of itself, for chart add-ons' `.Capabilities`: its version
/// (`/version`'s `gitVersion`) and the API versions its discovery serves (`group/version` and
/// `group/version/Kind`, as Helm's `GetVersionSet` lists them).
public struct ClusterCapabilities: Sendable, Hashable {
    public var kubeVersion: String?
    public var apiVersions: [String]?

    public init(kubeVersion: String? = nil, apiVersions: [String]? = nil) {
        self.kubeVersion = kubeVersion
        self.apiVersions = apiVersions
    }
}
