import SluiceYAML

/// Checks a value against a compiled schema as the API server decodes and validates it:
/// types (an int32 is an integer that fits), unknown fields, required fields, enums, bounds,
/// `allOf`/`anyOf`/`oneOf`, and the Kubernetes extensions `x-kubernetes-int-or-string`,
/// `x-kubernetes-preserve-unknown-fields` and `x-kubernetes-embedded-resource`. A `null`
/// is an absent field, as the API server reads it. Not checked offline: `pattern`, formats
/// and CEL rules (`x-kubernetes-validations`), which the server's dry run does check.
struct SchemaValidator {
    /// ObjectMeta of the built-in documents: what a custom resource's and an embedded
    /// resource's `metadata` is checked against.
    let objectMeta: SchemaRoot?
    /// Whether messages may quote values; not for a Secret, whose values are secret.
    let revealValues: Bool
    private(set) var violations: [SchemaViolation] = []
    private var path = FieldPath()
    private var steps = 0
    private var stopped = false
    /// Whether the value at a path matched an alternative's schema, shared by the validators
    /// of nested alternatives: `anyOf`s of `$ref`s to one schema, nested, are checked once per
    /// (schema, place) instead of once per path through them (2^depth).
    private var memo = AlternativeMemo()
    /// Nested checks (fields, items, alternatives), inner validators included: bounded, so
    /// that no schema can take the stack (a cycle of alternatives, deep values).
    private var depth = 0
    static let depthLimit = 600
    private let stepBudget: Int
    /// Fields in sorted order, so that which violations are found first (and kept, past
    /// the limit) does not depend on dictionary order; the caller's first pass over an
    /// object skips the sort and runs again sorted only when something is wrong.
    var sortedFields = true

    /// Checking steps per object: a hostile CRD with alternatives inside alternatives
    /// cannot make one object cost more than this.
    static let stepBudget = 2_000_000
    /// Violations kept per object: the first ones say what is wrong.
    static let violationLimit = 20

    init(objectMeta: SchemaRoot?, revealValues: Bool, stepBudget: Int = Self.stepBudget) {
        self.objectMeta = objectMeta
        self.revealValues = revealValues
        self.stepBudget = stepBudget
    }

    /// Checks a whole object against its kind's root schema.
    mutating func check(object: Value, root: SchemaRoot) {
        check(object, root.node, in: root.graph, strictFields: true, resourceRoot: root.graph.origin == .customResource)
    }

    private mutating func report(_ problem: SchemaViolation.Problem, at text: String? = nil) {
        guard !stopped else { return }
        violations.append(SchemaViolation(path: text ?? path.text, problem: problem))
        if violations.count >= Self.violationLimit { stopped = true }
    }

    /// `strictFields` is false inside `anyOf`/`oneOf` branches, which only constrain values:
    /// the fields an object may have are the ones its own schema lists.
    private mutating func check(_ value: Value, _ index: Int, in graph: SchemaGraph, strictFields: Bool, resourceRoot: Bool = false) {
        guard !stopped else { return }
        steps += 1
        guard steps <= stepBudget, depth < Self.depthLimit else {
            report(.tooComplex)
            stopped = true
            return
        }
        depth += 1
        defer { depth -= 1 }
        if case .null = value { return }
        let shape = graph.shapes[index]
        guard checkValue(value, shape: shape, in: graph) else { return }
        if shape.hasAlternatives {
            for member in shape.chain {
                let node = graph.nodes[member]
                if !node.anyOf.isEmpty { checkAlternatives(value, node.anyOf, exactlyOne: false, in: graph) }
                if !node.oneOf.isEmpty { checkAlternatives(value, node.oneOf, exactlyOne: true, in: graph) }
            }
        }
        switch value {
        case .map(let map):
            checkFields(map, shape: shape, in: graph, strictFields: strictFields, resourceRoot: resourceRoot)
        case .list(let items):
            guard let itemSchema = shape.items else { return }
            for (offset, item) in items.enumerated() {
                path.push(.index(offset))
                check(item, itemSchema, in: graph, strictFields: strictFields)
                path.pop()
            }
        default:
            break
        }
    }

    /// Type, enum and bounds; false when the type is wrong (nothing below it is checked).
    private mutating func checkValue(_ value: Value, shape: SchemaGraph.Shape, in graph: SchemaGraph) -> Bool {
        if shape.intOrString {
            switch value {
            case .int, .string: return true
            default:
                report(.wrongType(expected: "an integer or a string", found: describe(value)))
                return false
            }
        }
        for (type, format) in shape.types {
            if let problem = typeProblem(value, type: type, format: format, origin: graph.origin) {
                report(problem)
                return false
            }
        }
        for allowed in shape.enums where !allowed.contains(value) {
            report(.notInEnum(allowed: allowed.map(SchemaCompiler.describe)))
        }
        for member in shape.bounded {
            if let rule = Self.boundsProblem(value, node: graph.nodes[member]) { report(.outOfBounds(rule)) }
        }
        if !shape.required.isEmpty, case .map(let map) = value {
            for name in shape.required where map[name] == nil || map[name] == .null {
                report(.missingField, at: path.appending(name))
            }
        }
        return true
    }

    private mutating func checkAlternatives(_ value: Value, _ branches: [Int], exactlyOne: Bool, in graph: SchemaGraph) {
        var matches = 0
        let place = path.text
        for branch in branches {
            let key = AlternativeMemo.Key(builtIn: graph.origin == .builtIn, graphSize: graph.nodes.count, node: branch, place: place)
            if let matched = memo.results[key] {
                if matched { matches += 1 }
                continue
            }
            // While a branch is checked at this place, the same branch met again here (a
            // cycle of alternatives, `anyOf: [$ref: itself]`) has no finite match.
            memo.results[key] = false
            var inner = SchemaValidator(objectMeta: objectMeta, revealValues: revealValues, stepBudget: stepBudget)
            inner.sortedFields = sortedFields
            inner.path = path
            inner.steps = steps
            inner.depth = depth
            inner.memo = memo
            inner.check(value, branch, in: graph, strictFields: false)
            steps = inner.steps
            if inner.violations.contains(where: { $0.problem == .tooComplex }) {
                report(.tooComplex)
                stopped = true
                return
            }
            memo.results[key] = inner.violations.isEmpty
            if inner.violations.isEmpty { matches += 1 }
        }
        if matches == 0 {
            report(.alternatives("matches none of the \(branches.count) alternatives of its schema's \(exactlyOne ? "oneOf" : "anyOf")"))
        } else if exactlyOne, matches > 1 {
            report(.alternatives("matches \(matches) alternatives of its schema's oneOf, which allows exactly one"))
        }
    }

    private mutating func checkFields(_ map: [String: Value], shape: SchemaGraph.Shape, in graph: SchemaGraph,
                                      strictFields: Bool, resourceRoot: Bool) {
        let resource = resourceRoot || shape.embeddedResource
        if shape.embeddedResource {
            for name in ["apiVersion", "kind"] where map[name] == nil { report(.missingField, at: path.appending(name)) }
        }
        if sortedFields {
            for key in map.keys.sorted() {
                if let child = map[key] { checkField(key, child, shape: shape, in: graph, strictFields: strictFields, resource: resource) }
            }
        } else {
            for (key, child) in map { checkField(key, child, shape: shape, in: graph, strictFields: strictFields, resource: resource) }
        }
    }

    private mutating func checkField(_ key: String, _ child: Value, shape: SchemaGraph.Shape, in graph: SchemaGraph,
                                     strictFields: Bool, resource: Bool) {
        path.push(.key(key))
        defer { path.pop() }
        let schemas = shape.properties[key]
        // A CRD often declares `metadata: {type: object}`; the server checks ObjectMeta.
        if resource, let implicit = Self.resourceField(key), implicit == .metadata || schemas == nil {
            checkImplicit(child, field: implicit)
            return
        }
        if let schemas {
            for schema in schemas { check(child, schema, in: graph, strictFields: strictFields) }
            return
        }
        switch shape.additionalProperties {
        case .schema(let index): check(child, index, in: graph, strictFields: strictFields)
        case .allowed: break
        case .forbidden: if strictFields { report(.unknownField) }
        case .unspecified: if strictFields, !shape.open { report(.unknownField) }
        }
    }

    private enum ResourceField { case typeName, metadata }

    private static func resourceField(_ key: String) -> ResourceField? {
        switch key {
        case "apiVersion", "kind": return .typeName
        case "metadata": return .metadata
        default: return nil
        }
    }

    /// `apiVersion`, `kind` and `metadata` of a custom or embedded resource, which its
    /// schema need not list: the API server checks them as it does for every object.
    private mutating func checkImplicit(_ value: Value, field: ResourceField) {
        switch field {
        case .typeName:
            if case .string = value { return }
            if case .null = value { return }
            report(.wrongType(expected: "a string", found: describe(value)))
        case .metadata:
            if let objectMeta {
                check(value, objectMeta.node, in: objectMeta.graph, strictFields: true)
                return
            }
            switch value {
            case .map, .null: return
            default: report(.wrongType(expected: "an object", found: describe(value)))
            }
        }
    }

    private func typeProblem(_ value: Value, type: SchemaGraph.JSONType, format: String?, origin: SchemaGraph.Origin) -> SchemaViolation.Problem? {
        let matches: Bool
        switch (type, value) {
        case (.object, .map), (.array, .list), (.string, .string), (.boolean, .bool), (.number, .int), (.number, .double):
            matches = true
        case (.integer, .int(let n)):
            if format == "int32", origin == .builtIn, n < Int(Int32.min) || n > Int(Int32.max) {
                return .outOfBounds("\(revealValues ? String(n) : "the value") does not fit in a 32-bit integer")
            }
            matches = true
        case (.integer, .double(let d)):
            // JSON numbers in a custom resource; a Go integer field refuses `3.0`.
            matches = origin == .customResource && d.rounded() == d && d.isFinite
        default:
            matches = false
        }
        return matches ? nil : .wrongType(expected: Self.article(type), found: describe(value))
    }

    private static func boundsProblem(_ value: Value, node: SchemaGraph.Node) -> String? {
        let number: Double?
        switch value {
        case .int(let n): number = Double(n)
        case .double(let d): number = d
        default: number = nil
        }
        if let number {
            if let minimum = node.minimum, node.exclusiveMinimum ? number <= minimum : number < minimum {
                return "must be \(node.exclusiveMinimum ? "greater than" : "at least") \(format(minimum))"
            }
            if let maximum = node.maximum, node.exclusiveMaximum ? number >= maximum : number > maximum {
                return "must be \(node.exclusiveMaximum ? "less than" : "at most") \(format(maximum))"
            }
        }
        let size: (count: Int, noun: String, min: Int?, max: Int?)?
        switch value {
        case .string(let s): size = (s.count, "characters", node.minLength, node.maxLength)
        case .list(let l): size = (l.count, "items", node.minItems, node.maxItems)
        case .map(let m): size = (m.count, "fields", node.minProperties, node.maxProperties)
        default: size = nil
        }
        if let size {
            if let min = size.min, size.count < min { return "has \(size.count) \(size.noun), fewer than the \(min) required" }
            if let max = size.max, size.count > max { return "has \(size.count) \(size.noun), more than the \(max) allowed" }
        }
        return nil
    }

    private static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int(number)) : String(number)
    }

    private static func article(_ type: SchemaGraph.JSONType) -> String {
        switch type {
        case .object: return "an object"
        case .array: return "a list"
        case .string: return "a string"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "a boolean"
        }
    }

    private func describe(_ value: Value) -> String {
        switch value {
        case .string where !revealValues: return "a string"
        case .int where !revealValues, .double where !revealValues: return "a number"
        case .bool where !revealValues: return "a boolean"
        case .string(let s): return "string \"\(s.count > 40 ? String(s.prefix(40)) + "..." : s)\""
        case .int(let n): return "integer \(n)"
        case .double(let d): return "number \(d)"
        case .bool(let b): return "boolean \(b)"
        case .null: return "null"
        case .list: return "a list"
        case .map: return "an object"
        }
    }
}

/// A compiled schema and the node an object's kind starts at.
public struct SchemaRoot: Sendable {
    let graph: SchemaGraph
    let node: Int
}

/// Results of alternatives already checked during one object's check (the value at a place
/// does not change while its object is checked, so neither does whether it matches).
final class AlternativeMemo {
    /// A place is checked against one graph (a resource's own, or ObjectMeta's for its
    /// metadata); origin and size tell the graphs apart besides.
    struct Key: Hashable {
        var builtIn: Bool
        var graphSize: Int
        var node: Int
        var place: String
    }

    var results: [Key: Bool] = [:]
}
