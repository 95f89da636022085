import SluiceModel
import SluiceSchemas
import SluiceYAML
import SluiceRender

/// Checks every rendered object of a cluster against the built-in schemas and the schemas
/// of the CRDs that the cluster's own add-ons render (`sluice validate --schemas`). An
/// add-on that renders the same objects on many clusters (the same digest) next to the
/// same CRDs is checked once; so is each CRD-rendering add-on's set of schemas.
public final class SchemaCheck: Sendable {
    public let schemas: KubernetesSchemas
    private struct Definitions: Sendable {
        var schemas: CustomResourceSchemas
        var problems: [Diagnostic]
    }

    /// An add-on's output (its digest) beside the CRD-rendering add-ons of its cluster.
    private struct ResultKey: Hashable, Sendable {
        var digest: String
        var context: [String]
    }

    /// By the digest of a CRD-rendering add-on.
    private let definitions = ShardedCache<String, Definitions>(capacity: 10_000)
    /// Kept only for an add-on output seen a second time: on a fleet where every cluster's
    /// output differs, nothing is kept.
    private let results = ShardedCache<ResultKey, [Diagnostic]>(capacity: 100_000)

    public init(schemas: KubernetesSchemas) { self.schemas = schemas }

    /// Problems without the cluster's name (the caller collapses them across clusters).
    public func problems(in addons: [RenderedAddon]) -> [Diagnostic] {
        var customResources = CustomResourceSchemas()
        var problems: [Diagnostic] = []
        var context: [String] = []
        for addon in addons where addon.objects.contains(where: \.key.isCustomResourceDefinition) {
            let defined = definitions(of: addon)
            for kind in customResources.merge(defined.schemas) {
                problems.append(Diagnostic(file: "addons/\(addon.addon)", message: "\(kind.kind) (\(kind.group)/\(kind.version)) is defined by a second CustomResourceDefinition of the cluster",
                                           code: "schema.kindDefinedTwice"))
            }
            problems += defined.problems
            context.append(addon.digest)
        }
        for addon in addons {
            let key = ResultKey(digest: addon.digest, context: context)
            let hash = key.hashValue
            if let known = results.entry(key, hash: hash) {
                problems += known
                continue
            }
            let found = addon.objects.flatMap { object in
                schemas.violations(of: object.object, apiVersion: object.apiVersion, kind: object.key.kind, customResources: customResources).map {
                    Diagnostic(file: object.template, message: "\(object.key): \($0)", code: "schema.\($0.problem.name)")
                }
            }
            results.store(found, for: key, hash: hash, secondSighting: true)
            problems += found
        }
        return problems
    }

    private func definitions(of addon: RenderedAddon) -> Definitions {
        let hash = addon.digest.hashValue
        if let known = definitions.entry(addon.digest, hash: hash) { return known }
        var schemas = CustomResourceSchemas()
        var problems: [Diagnostic] = []
        for object in addon.objects where object.key.isCustomResourceDefinition {
            let (defined, wrong) = CustomResourceSchemas.from(crd: object.object)
            for kind in schemas.merge(defined) {
                problems.append(Diagnostic(file: object.template, message: "\(object.key): \(kind.kind) (\(kind.group)/\(kind.version)) is defined by another CustomResourceDefinition of this add-on too",
                                           code: "schema.kindDefinedTwice"))
            }
            problems += wrong.map { Diagnostic(file: object.template, message: "\(object.key): schema of \($0)", code: "schema.crd") }
        }
        let result = Definitions(schemas: schemas, problems: problems)
        definitions.store(result, for: addon.digest, hash: hash)
        return result
    }
}
