import Foundation
import SluiceGit
import SluiceModel
import SluiceSchemas
import SluiceYAML
import SluiceRender

/// Validates a whole commit (DESIGN §2 step 1): the files and references (SluiceModel), the
/// add-on graph of each release, every template rendered for every cluster, the manifest
/// rules, and objects that two add-ons of a cluster both render. A commit with any error is
/// rejected as a whole; every error is reported, the same error on many clusters once.
public struct CommitValidator: Sendable {
    public var loader: FleetLoader
    public var parallelism: Int
    /// Checks every rendered object against OpenAPI schemas as well (`--schemas`).
    public var schemaCheck: SchemaCheck?

    public init(loader: FleetLoader = FleetLoader(), parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                schemaCheck: SchemaCheck? = nil) {
        self.loader = loader
        self.parallelism = parallelism
        self.schemaCheck = schemaCheck
    }

    /// The result of a valid commit: the model, its graphs, the renderer, and a summary of
    /// every (cluster, add-on) pair. Objects are not kept: a large fleet renders millions.
    public struct ValidatedFleet: Sendable {
        public let repository: FleetRepository
        public let graphs: [String: AddonGraph]
        public let renderer: FleetRenderer
        public let pairs: [RenderedPair]

        public var objectCount: Int { pairs.reduce(0) { $0 + $1.objectCount } }
    }

    /// One rendered (cluster, add-on) pair, without its objects.
    public struct RenderedPair: Sendable {
        public let cluster: String
        public let addon: String
        public let digest: String
        public let objectCount: Int
    }

    public func validate(_ tree: SourceTree) throws(ValidationFailure) -> ValidatedFleet {
        let repository = try loader.load(tree)
        let (graphs, structural) = Self.structure(of: repository)
        var problems = structural

        let renderer: FleetRenderer
        do { renderer = try FleetRenderer(repository: repository) } catch {
            throw ValidationFailure(problems + error.diagnostics)
        }
        // One cluster per work item: its add-ons render, pass the manifest rules and are
        // checked against each other there; only summaries and problems come back.
        let checker = ManifestRuleChecker(rules: repository.policies.flatMap(\.manifestRules))
        let names = repository.clusterNames
        let results = ParallelMap.map(names.count, parallelism: parallelism) { index in
            validateCluster(names[index], repository: repository, renderer: renderer, checker: checker)
        }
        var perCluster = ClusterCollapser()
        var pairs: [RenderedPair] = []
        for (name, result) in zip(names, results) {
            pairs += result.pairs
            for problem in result.problems { perCluster.add(problem, cluster: name) }
        }
        problems += perCluster.diagnostics()
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        return ValidatedFleet(repository: repository, graphs: graphs, renderer: renderer, pairs: pairs)
    }

    /// Renders every add-on of one cluster; problems carry no cluster name (the caller adds it).
    private func validateCluster(_ name: String, repository: FleetRepository, renderer: FleetRenderer,
                                 checker: ManifestRuleChecker) -> (pairs: [RenderedPair], problems: [Diagnostic]) {
        guard let cluster = repository.clusters[name] else { return ([], []) }
        var pairs: [RenderedPair] = []
        var problems: [Diagnostic] = []
        let addons = repository.installedAddons(of: cluster)
        var owners = ObjectOwners(capacity: addons.count * 8)
        // Kept only for the schema check, which needs the CRDs of the whole cluster.
        var renderedAddons: [RenderedAddon] = []
        for addon in addons {
            let rendered: RenderedAddon
            do { rendered = try renderer.render(cluster: name, addon: addon) } catch {
                problems.append(error)
                continue
            }
            problems += checker.violations(in: rendered, release: repository.releases[cluster.release.value])
            problems += owners.claim(rendered)
            pairs.append(RenderedPair(cluster: name, addon: addon, digest: rendered.digest, objectCount: rendered.objects.count))
            if schemaCheck != nil { renderedAddons.append(rendered) }
        }
        if let schemaCheck { problems += schemaCheck.problems(in: renderedAddons) }
        return (pairs, problems)
    }

    /// What can be checked without rendering: each release's graph, and dependencies that a
    /// cluster disables. The planner checks the same before it renders what changed.
    static func structure(of repository: FleetRepository) -> (graphs: [String: AddonGraph], problems: [Diagnostic]) {
        var problems: [Diagnostic] = []
        var graphs: [String: AddonGraph] = [:]
        for (name, release) in repository.releases {
            do { graphs[name] = try AddonGraph.build(release: release, addons: repository.addons) }
            catch { problems += error.diagnostics }
        }
        problems += disabledDependencies(repository, graphs: graphs)
        return (graphs, problems)
    }

    /// A cluster may not disable an add-on that another of its add-ons depends on.
    private static func disabledDependencies(_ repository: FleetRepository, graphs: [String: AddonGraph]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for name in repository.clusterNames {
            guard let cluster = repository.clusters[name], !cluster.disabledAddons.isEmpty,
                  let graph = graphs[cluster.release.value] else { continue }
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
}

