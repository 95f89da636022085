import SluiceModel
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
    private let stepBudget: Int

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
        guard steps <= stepBudget else {
            report(.tooComplex)
            stopped = true
            return
        }
        if case .null = value { return }
        let chain = Self.chain(index, in: graph)
        guard checkValue(value, chain: chain, in: graph) else { return }
        for node in chain {
            for branch in [(node.anyOf, false), (node.oneOf, true)] where !branch.0.isEmpty {
                checkAlternatives(value, branch.0, exactlyOne: branch.1, in: graph)
            }
        }
        switch value {
        case .map(let map):
            checkFields(map, chain: chain, in: graph, strictFields: strictFields, resourceRoot: resourceRoot)
        case .list(let items):
            guard let itemSchema = chain.lazy.compactMap(\.items).first else { return }
            for (offset, item) in items.enumerated() {
                path.push(.index(offset))
                check(item, itemSchema, in: graph, strictFields: strictFields)
                path.pop()
            }
        default:
            break
        }
    }

    /// A node and the nodes its `allOf`s (and `$ref`s) bring in, which together describe
    /// one value. Bounded: a cycle of `allOf`s is followed once.
    private static func chain(_ index: Int, in graph: SchemaGraph) -> [SchemaGraph.Node] {
        var seen: Set<Int> = [index]
        var pending = [index]
        var nodes: [SchemaGraph.Node] = []
        while let next = pending.popLast(), nodes.count < 64 {
            let node = graph[next]
            nodes.append(node)
            for inner in node.allOf.reversed() where seen.insert(inner).inserted { pending.append(inner) }
        }
        return nodes
    }

    /// Type, enum and bounds; false when the type is wrong (nothing below it is checked).
    private mutating func checkValue(_ value: Value, chain: [SchemaGraph.Node], in graph: SchemaGraph) -> Bool {
        if chain.contains(where: \.intOrString) {
            switch value {
            case .int, .string: return true
            default:
                report(.wrongType(expected: "an integer or a string", found: describe(value)))
                return false
            }
        }
        for node in chain {
            if let type = node.type, let problem = typeProblem(value, type: type, format: node.format, origin: graph.origin) {
                report(problem)
                return false
            }
            if let allowed = node.enumValues, !allowed.isEmpty, !allowed.contains(value) {
                report(.notInEnum(allowed: allowed.map(SchemaCompiler.describe)))
            }
            if let rule = Self.boundsProblem(value, node: node) { report(.outOfBounds(rule)) }
            if case .map(let map) = value {
                for name in node.required where map[name] == nil || map[name] == .null {
                    report(.missingField, at: path.appending(name))
                }
            }
        }
        return true
    }

    private mutating func checkAlternatives(_ value: Value, _ branches: [Int], exactlyOne: Bool, in graph: SchemaGraph) {
        var matches = 0
        for branch in branches {
            var inner = SchemaValidator(objectMeta: objectMeta, revealValues: revealValues, stepBudget: stepBudget)
            inner.path = path
            inner.steps = steps
            inner.check(value, branch, in: graph, strictFields: false)
            steps = inner.steps
            if inner.violations.contains(where: { $0.problem == .tooComplex }) {
                report(.tooComplex)
                stopped = true
                return
            }
            if inner.violations.isEmpty { matches += 1 }
        }
        if matches == 0 {
            report(.alternatives("matches none of the \(branches.count) alternatives of its schema's \(exactlyOne ? "oneOf" : "anyOf")"))
        } else if exactlyOne, matches > 1 {
            report(.alternatives("matches \(matches) alternatives of its schema's oneOf, which allows exactly one"))
        }
    }

    private mutating func checkFields(_ map: [String: Value], chain: [SchemaGraph.Node], in graph: SchemaGraph,
                                      strictFields: Bool, resourceRoot: Bool) {
        var properties: [String: [Int]] = [:]
        var additional = SchemaGraph.Additional.unspecified
        var preserve = false
        var embedded = false
        var typed = false
        for node in chain {
            for (name, index) in node.properties { properties[name, default: []].append(index) }
            if case .unspecified = additional { additional = node.additionalProperties }
            preserve = preserve || node.preserveUnknownFields
            embedded = embedded || node.embeddedResource
            typed = typed || node.type == .object
        }
        let resource = resourceRoot || embedded
        if embedded {
            for name in ["apiVersion", "kind"] where map[name] == nil { report(.missingField, at: path.appending(name)) }
        }
        // An object schema that lists nothing: free-form in the built-in documents
        // (RawExtension), but a CRD keeps only what it lists or preserves.
        let open = preserve || (properties.isEmpty && (!typed || graph.origin == .builtIn))
        for key in map.keys.sorted() {
            guard let child = map[key] else { continue }
            path.push(.key(key))
            defer { path.pop() }
            // A CRD often declares `metadata: {type: object}`; the server checks ObjectMeta.
            if resource, let implicit = Self.resourceField(key), implicit == .metadata || properties[key] == nil {
                checkImplicit(child, field: implicit)
                continue
            }
            if let schemas = properties[key] {
                for schema in schemas { check(child, schema, in: graph, strictFields: strictFields) }
                continue
            }
            switch additional {
            case .schema(let index): check(child, index, in: graph, strictFields: strictFields)
            case .allowed: break
            case .forbidden: if strictFields { report(.unknownField) }
            case .unspecified: if strictFields, !open { report(.unknownField) }
            }
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
            } else if case .map = value {
            } else if value != .null {
                report(.wrongType(expected: "an object", found: describe(value)))
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
