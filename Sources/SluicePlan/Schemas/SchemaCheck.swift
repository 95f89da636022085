import Synchronization
import SluiceModel
import SluiceYAML
import SluiceRender

/// Checks every rendered object of a cluster against the built-in schemas and the schemas
/// of the CRDs that the cluster's own add-ons render (`sluice validate --schemas`). An
/// add-on that renders the same objects on many clusters (the same digest) next to the
/// same CRDs is checked once; so is each CRD-rendering add-on's set of schemas.
public final class SchemaCheck: Sendable {
    public let schemas: KubernetesSchemas
    private let definitions = Mutex<[String: (schemas: CustomResourceSchemas, problems: [Diagnostic])]>([:])
    private let results = Mutex<[String: [Diagnostic]]>([:])
    /// Memo entries kept; past it results are recomputed, never wrong.
    private static let memoCapacity = 100_000

    public init(schemas: KubernetesSchemas) { self.schemas = schemas }

    /// Problems without the cluster's name (the caller collapses them across clusters).
    public func problems(in addons: [RenderedAddon]) -> [Diagnostic] {
        var customResources = CustomResourceSchemas()
        var problems: [Diagnostic] = []
        var context: [String] = []
        for addon in addons where addon.objects.contains(where: Self.isDefinition) {
            let defined = definitions(of: addon)
            customResources.merge(defined.schemas)
            problems += defined.problems
            context.append(addon.digest)
        }
        let contextKey = context.joined(separator: "+")
        for addon in addons {
            let key = addon.digest + "|" + contextKey
            if let known = results.withLock({ $0[key] }) {
                problems += known
                continue
            }
            let found = addon.objects.flatMap { object in
                schemas.violations(of: object.object, apiVersion: object.apiVersion, kind: object.key.kind, customResources: customResources).map {
                    Diagnostic(file: object.template, message: "\(object.key): \($0)", code: "schema.\($0.problem.name)")
                }
            }
            results.withLock { if $0.count < Self.memoCapacity { $0[key] = found } }
            problems += found
        }
        return problems
    }

    private func definitions(of addon: RenderedAddon) -> (schemas: CustomResourceSchemas, problems: [Diagnostic]) {
        if let known = definitions.withLock({ $0[addon.digest] }) { return known }
        var schemas = CustomResourceSchemas()
        var problems: [Diagnostic] = []
        for object in addon.objects where Self.isDefinition(object) {
            let (defined, wrong) = CustomResourceSchemas.from(crd: object.object)
            schemas.merge(defined)
            problems += wrong.map { Diagnostic(file: object.template, message: "\(object.key): schema of \($0)", code: "schema.crd") }
        }
        let result = (schemas, problems)
        definitions.withLock { if $0.count < Self.memoCapacity { $0[addon.digest] = result } }
        return result
    }

    static func isDefinition(_ object: RenderedObject) -> Bool {
        object.key.group == "apiextensions.k8s.io" && object.key.kind == "CustomResourceDefinition"
    }
}
