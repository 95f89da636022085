import Foundation
import SluiceGit
import SluiceModel
import SluiceRender

/// Validates a whole commit (DESIGN §2 step 1): the files and references (SluiceModel), the
/// add-on graph of each release, every template rendered for every cluster, the manifest
/// rules, and objects that two add-ons of a cluster both render. A commit with any error is
/// rejected as a whole; every error is reported, the same error on many clusters once.
public struct CommitValidator: Sendable {
    public var loader: FleetLoader
    public var parallelism: Int

    public init(loader: FleetLoader = FleetLoader(), parallelism: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.loader = loader
        self.parallelism = parallelism
    }

    /// The result of a valid commit: the model, its graphs, and every rendered pair.
    public struct ValidatedFleet: Sendable {
        public let repository: FleetRepository
        public let graphs: [String: AddonGraph]
        public let renderer: FleetRenderer
        public let rendered: [RenderedAddon]
    }

    public func validate(_ tree: SourceTree) throws(ValidationFailure) -> ValidatedFleet {
        let repository = try loader.load(tree)
        var problems: [Diagnostic] = []

        var graphs: [String: AddonGraph] = [:]
        for (name, release) in repository.releases {
            do { graphs[name] = try AddonGraph.build(release: release, addons: repository.addons) }
            catch { problems += error.diagnostics }
        }
        problems += disabledDependencies(repository, graphs: graphs)

        let renderer: FleetRenderer
        do { renderer = try FleetRenderer(repository: repository) } catch {
            throw ValidationFailure(problems + error.diagnostics)
        }
        let pairs = repository.clusterNames.flatMap { cluster in
            (repository.clusters[cluster].map(repository.installedAddons) ?? []).map { (cluster: cluster, addon: $0) }
        }
        let (rendered, failures) = renderer.renderAll(pairs, parallelism: parallelism)
        var perCluster = ClusterCollapser()
        for failure in failures { perCluster.add(failure.diagnostic, cluster: failure.cluster) }
        let checker = ManifestRuleChecker(rules: repository.policies.flatMap(\.manifestRules))
        for pair in rendered {
            for violation in checker.violations(in: pair) { perCluster.add(violation, cluster: pair.cluster) }
        }
        for conflict in conflicts(rendered) { perCluster.add(conflict.diagnostic, cluster: conflict.cluster) }
        problems += perCluster.diagnostics()
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        return ValidatedFleet(repository: repository, graphs: graphs, renderer: renderer, rendered: rendered)
    }

    /// A cluster may not disable an add-on that another of its add-ons depends on.
    private func disabledDependencies(_ repository: FleetRepository, graphs: [String: AddonGraph]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for name in repository.clusterNames {
            guard let cluster = repository.clusters[name], let graph = graphs[cluster.release.value] else { continue }
            let enabled = Set(repository.installedAddons(of: cluster))
            for disabled in cluster.disabledAddons {
                let needers = enabled.filter { graph.dependencies[$0]?.contains(disabled.value) == true }.sorted()
                if !needers.isEmpty {
                    problems.append(Diagnostic(file: cluster.header.file, mark: disabled.mark, message:
                        "cluster \"\(name)\" disables \"\(disabled.value)\", which \(needers.map { "\"\($0)\"" }.joined(separator: ", ")) depend\(needers.count == 1 ? "s" : "") on"))
                }
            }
        }
        return problems
    }

    /// Two add-ons of one cluster rendering the same object would fight over it.
    private func conflicts(_ rendered: [RenderedAddon]) -> [(cluster: String, diagnostic: Diagnostic)] {
        var owners: [String: [ObjectKey: (addon: String, template: String)]] = [:]
        var found: [(String, Diagnostic)] = []
        for pair in rendered {
            for object in pair.objects {
                if let owner = owners[pair.cluster]?[object.key], owner.addon != pair.addon {
                    found.append((pair.cluster, Diagnostic(file: object.template, message:
                        "\(object.key) is also rendered by add-on \"\(owner.addon)\" (\(owner.template)); an object belongs to one add-on")))
                } else {
                    owners[pair.cluster, default: [:]][object.key] = (pair.addon, object.template)
                }
            }
        }
        return found
    }
}

/// Folds the same diagnostic on many clusters into one line that names them.
struct ClusterCollapser {
    private var clusters: [Diagnostic: [String]] = [:]

    mutating func add(_ diagnostic: Diagnostic, cluster: String) {
        clusters[diagnostic, default: []].append(cluster)
    }

    func diagnostics() -> [Diagnostic] {
        clusters.map { diagnostic, names in
            var result = diagnostic
            let sorted = Array(Set(names)).sorted()
            let shown = sorted.prefix(5).joined(separator: ", ")
            let more = sorted.count > 5 ? " and \(sorted.count - 5) more" : ""
            result.message += " (cluster\(sorted.count == 1 ? "" : "s") \(shown)\(more))"
            return result
        }
    }
}
