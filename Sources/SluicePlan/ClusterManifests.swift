import SluiceGit
import SluiceModel
import SluiceRender
import SluiceYAML

/// A cluster's manifests in the order `apply` applies them: add-ons in dependency order, and
/// in each add-on Namespaces and CRDs first (`KindOrder`), so that `sluice render | kubectl
/// apply -f -` works. The CLI's `render` and the HTTP API both ask here.
public enum ClusterManifests {
    /// Why nothing is returned: every problem, each at its file.
    public struct Problems: Error, Sendable {
        public var diagnostics: [Diagnostic]
    }

    /// The objects of `cluster`'s add-ons (only `addon`, when given, which it must run).
    public static func render(_ cluster: Cluster, addon: String?, repository: FleetRepository,
                              renderer: FleetRenderer) throws(Problems) -> [RenderedObject] {
        var addons = repository.installedAddons(of: cluster)
        if let release = repository.releases[cluster.release.value],
           let graph = try? AddonGraph.build(release: release, addons: repository.addons) {
            addons = graph.order(of: Set(addons))
        }
        if let addon {
            guard addons.contains(addon) else {
                throw Problems(diagnostics: [Diagnostic(file: cluster.header.file,
                                                        message: "cluster \"\(cluster.name)\" does not run add-on \"\(addon)\"\(Suggestion.hint(for: addon, in: addons))")])
            }
            addons = [addon]
        }
        var objects: [RenderedObject] = []
        var problems: [Diagnostic] = []
        for name in addons {
            // A chart's hooks after its objects, as `helm template` prints them.
            do {
                let rendered = try renderer.render(cluster: cluster.name, addon: name).objects
                objects += KindOrder.forInstall(rendered.filter { $0.hook == nil }, kind: \.key.kind) + rendered.filter { $0.hook != nil }
            }
            catch { problems.append(error) }
        }
        guard problems.isEmpty else { throw Problems(diagnostics: problems) }
        return objects
    }
}
