import SluiceYAML

/// The schemas that CustomResourceDefinitions define: `spec.versions[].schema.openAPIV3Schema`
/// of every served version, keyed by the kind they define.
public struct CustomResourceSchemas: Sendable {
    private(set) var roots: [GroupVersionKind: SchemaRoot] = [:]

    public init() {}

    /// A CRD's schemas; a schema that cannot be compiled is the CRD's problem, reported
    /// with its version.
    public static func from(crd: Value) -> (schemas: CustomResourceSchemas, problems: [String]) {
        var result = CustomResourceSchemas()
        var problems: [String] = []
        guard let group = crd.at(["spec", "group"])?.stringValue,
              let kind = crd.at(["spec", "names", "kind"])?.stringValue,
              let versions = crd.at(["spec", "versions"])?.listValue else { return (result, []) }
        for version in versions {
            guard let name = version["name"]?.stringValue, version["served"] != .bool(false) else { continue }
            let key = GroupVersionKind(group: group, version: name, kind: kind)
            // No schema: the server keeps whatever the object says.
            let schema = version.at(["schema", "openAPIV3Schema"]) ?? .map(["x-kubernetes-preserve-unknown-fields": .bool(true)])
            var compiler = SchemaCompiler(origin: .customResource)
            do {
                let node = try compiler.compile(schema, path: "openAPIV3Schema")
                result.roots[key] = SchemaRoot(graph: compiler.graph, node: node)
            } catch {
                problems.append("version \(name): \(error)")
            }
        }
        return (result, problems)
    }

    /// Adds another CRD's kinds; a kind both define is returned (the first definition stays),
    /// never settled silently.
    @discardableResult
    public mutating func merge(_ other: CustomResourceSchemas) -> [GroupVersionKind] {
        var twice: [GroupVersionKind] = []
        for (kind, root) in other.roots {
            if roots[kind] == nil { roots[kind] = root } else { twice.append(kind) }
        }
        return twice.sorted { ($0.group, $0.version, $0.kind) < ($1.group, $1.version, $1.kind) }
    }

    func root(for kind: GroupVersionKind) -> SchemaRoot? { roots[kind] }
}

extension KubernetesSchemas {
    /// An object's violations: against its built-in kind's schema, else a CRD's.
    public func violations(of object: Value, apiVersion: String, kind: String,
                           customResources: CustomResourceSchemas = CustomResourceSchemas()) -> [SchemaViolation] {
        violations(of: object, apiVersion: apiVersion, kind: kind, customResources: customResources, stepBudget: SchemaValidator.stepBudget)
    }

    func violations(of object: Value, apiVersion: String, kind: String, customResources: CustomResourceSchemas,
                    stepBudget: Int) -> [SchemaViolation] {
        let gvk = GroupVersionKind(apiVersion: apiVersion, kind: kind)
        guard let root = root(for: gvk) ?? customResources.root(for: gvk) else {
            return [SchemaViolation(path: "", problem: .noSchema(apiVersion: apiVersion, kind: kind))]
        }
        // A Secret's values are secret: messages name types, not values.
        let reveal = !(gvk.group.isEmpty && kind == "Secret")
        var fast = SchemaValidator(objectMeta: objectMeta, revealValues: reveal, stepBudget: stepBudget)
        fast.sortedFields = false
        fast.check(object: object, root: root)
        guard !fast.violations.isEmpty else { return [] }
        // Again in field order, so the same violations come first every time.
        var validator = SchemaValidator(objectMeta: objectMeta, revealValues: reveal, stepBudget: stepBudget)
        validator.check(object: object, root: root)
        return validator.violations
    }
}
