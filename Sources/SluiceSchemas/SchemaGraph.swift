import SluiceYAML

/// Compiled schemas: the part of OpenAPI v3 (JSON Schema) that Kubernetes uses, as nodes
/// that point at each other by index. An index instead of a reference lets `$ref` cycles
/// (JSONSchemaProps describes itself) exist without reference counting, and keeps a graph a
/// plain value that threads share.
public struct SchemaGraph: Sendable {
    /// Where a graph's schemas come from decides two rules that differ between them.
    public enum Origin: Sendable {
        /// The API server's OpenAPI documents: Go types, decoded strictly (`3.0` is not an
        /// int32), and an object schema without properties is free-form (RawExtension, FieldsV1).
        case builtIn
        /// A CRD's structural schema: numbers are JSON numbers, and an object schema without
        /// properties keeps nothing unless it says `x-kubernetes-preserve-unknown-fields`.
        case customResource
    }

    public struct Node: Sendable {
        /// nil: any type.
        var type: JSONType?
        var format: String?
        var properties: [String: Int] = [:]
        var additionalProperties: Additional = .unspecified
        var items: Int?
        var required: [String] = []
        var enumValues: [Value]?
        var allOf: [Int] = []
        var anyOf: [Int] = []
        var oneOf: [Int] = []
        var intOrString = false
        var preserveUnknownFields = false
        var embeddedResource = false
        var minimum: Double?
        var maximum: Double?
        var exclusiveMinimum = false
        var exclusiveMaximum = false
        var minLength: Int?
        var maxLength: Int?
        var minItems: Int?
        var maxItems: Int?
        var minProperties: Int?
        var maxProperties: Int?
    }

    public enum JSONType: String, Sendable {
        case object, array, string, integer, number, boolean
    }

    public enum Additional: Sendable {
        case unspecified
        case allowed
        case forbidden
        case schema(Int)
    }

    /// What a node and its `allOf`s say together about an object, merged once when the
    /// graph is complete, so checking a value allocates nothing.
    struct Shape: Sendable {
        var chain: [Int] = []
        var properties: [String: [Int]] = [:]
        var additionalProperties: Additional = .unspecified
        /// Unknown fields are kept: preserved, or (built-in documents only) an object schema
        /// that lists nothing (RawExtension); a CRD keeps only what it lists or preserves.
        var open = false
        var embeddedResource = false
        var intOrString = false
        var items: Int?
        var hasAlternatives = false
        /// The types the chain's nodes declare, with their formats (usually one).
        var types: [(type: JSONType, format: String?)] = []
        var enums: [[Value]] = []
        var required: [String] = []
        /// Nodes of the chain with a minimum, maximum, length or count (usually none).
        var bounded: [Int] = []
    }

    public let origin: Origin
    var nodes: [Node] = []
    private(set) var shapes: [Shape] = []

    init(origin: Origin) { self.origin = origin }

    /// Computes every node's shape; called once the last node is compiled.
    mutating func link() {
        shapes = nodes.indices.map(shape)
    }

    private func shape(_ index: Int) -> Shape {
        var shape = Shape()
        // A node and the nodes its allOfs bring in, each once (a cycle is followed once).
        var seen: Set<Int> = [index]
        var pending = [index]
        while let next = pending.popLast(), shape.chain.count < 64 {
            shape.chain.append(next)
            for inner in nodes[next].allOf.reversed() where seen.insert(inner).inserted { pending.append(inner) }
        }
        var preserve = false, typed = false
        for member in shape.chain {
            let node = nodes[member]
            for (name, property) in node.properties { shape.properties[name, default: []].append(property) }
            if case .unspecified = shape.additionalProperties { shape.additionalProperties = node.additionalProperties }
            if shape.items == nil { shape.items = node.items }
            preserve = preserve || node.preserveUnknownFields
            typed = typed || node.type == .object
            shape.embeddedResource = shape.embeddedResource || node.embeddedResource
            shape.intOrString = shape.intOrString || node.intOrString
            shape.hasAlternatives = shape.hasAlternatives || !node.anyOf.isEmpty || !node.oneOf.isEmpty
            if let type = node.type { shape.types.append((type, node.format)) }
            if let values = node.enumValues, !values.isEmpty { shape.enums.append(values) }
            shape.required += node.required
            if node.minimum != nil || node.maximum != nil || node.minLength != nil || node.maxLength != nil || node.minItems != nil
                || node.maxItems != nil || node.minProperties != nil || node.maxProperties != nil {
                shape.bounded.append(member)
            }
        }
        shape.open = preserve || (shape.properties.isEmpty && (!typed || origin == .builtIn))
        return shape
    }
}

/// Why a schema could not be compiled: the document is not what an API server serves.
public struct SchemaCompileError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Compiles schema values into a `SchemaGraph`. `$ref`s name `#/components/schemas/NAME`
/// of the same document; each named schema is compiled once, on first use.
struct SchemaCompiler {
    private var storage: SchemaGraph
    /// The graph compiled so far, linked (every node's shape computed).
    var graph: SchemaGraph {
        var graph = storage
        graph.link()
        return graph
    }
    private let components: [String: Value]
    private var named: [String: Int] = [:]
    /// Schema nodes compiled; a hostile CRD cannot make compiling unbounded.
    private var budget: Int

    static let nodeBudget = 200_000

    init(origin: SchemaGraph.Origin, components: [String: Value] = [:]) {
        self.storage = SchemaGraph(origin: origin)
        self.components = components
        self.budget = Self.nodeBudget
    }

    /// The node of `#/components/schemas/<name>`.
    mutating func compileNamed(_ name: String, depth: Int = 0) throws(SchemaCompileError) -> Int {
        if let index = named[name] { return index }
        guard let schema = components[name] else {
            throw SchemaCompileError(path: "", message: "$ref to \"#/components/schemas/\(name)\", which the document does not define")
        }
        // Reserve the index first, so a schema that refers to itself finds it.
        let index = reserve()
        named[name] = index
        storage.nodes[index] = try node(schema, path: name, depth: depth)
        return index
    }

    mutating func compile(_ schema: Value, path: String, depth: Int = 0) throws(SchemaCompileError) -> Int {
        let index = reserve()
        storage.nodes[index] = try node(schema, path: path, depth: depth)
        return index
    }

    private mutating func reserve() -> Int {
        storage.nodes.append(SchemaGraph.Node())
        return storage.nodes.count - 1
    }

    private mutating func node(_ schema: Value, path: String, depth: Int) throws(SchemaCompileError) -> SchemaGraph.Node {
        budget -= 1
        guard budget > 0, depth < ValueLimits.nesting else {
            throw SchemaCompileError(path: path, message: "the schema is too large or nests too deeply")
        }
        guard case .map(let map) = schema else {
            if case .bool(true) = schema { return SchemaGraph.Node() }
            throw SchemaCompileError(path: path, message: "a schema must be an object")
        }
        var node = SchemaGraph.Node()
        if let ref = map["$ref"] {
            let prefix = "#/components/schemas/"
            guard let text = ref.stringValue, text.hasPrefix(prefix) else {
                throw SchemaCompileError(path: path, message: "$ref must name \(prefix)<name>")
            }
            node.allOf.append(try compileNamed(String(text.dropFirst(prefix.count)), depth: depth + 1))
        }
        if let type = map["type"] {
            guard let name = type.stringValue, let known = SchemaGraph.JSONType(rawValue: name) else {
                throw SchemaCompileError(path: path + ".type", message: "unknown type \(Self.describe(type))")
            }
            node.type = known
        }
        try Self.checkKeywords(map, path: path)
        node.format = map["format"]?.stringValue
        if case .map(let properties)? = map["properties"] {
            for (name, property) in properties {
                node.properties[name] = try compile(property, path: path + "." + name, depth: depth + 1)
            }
        }
        switch map["additionalProperties"] {
        case nil: break
        case .bool(true)?: node.additionalProperties = .allowed
        case .bool(false)?: node.additionalProperties = .forbidden
        case let schema?: node.additionalProperties = .schema(try compile(schema, path: path + ".*", depth: depth + 1))
        }
        if let items = map["items"] {
            node.items = try compile(items, path: path + "[]", depth: depth + 1)
        }
        node.required = map["required"]?.listValue?.compactMap(\.stringValue) ?? []
        node.enumValues = map["enum"]?.listValue
        for (key, keyPath) in [("allOf", \SchemaGraph.Node.allOf), ("anyOf", \.anyOf), ("oneOf", \.oneOf)] {
            for (offset, branch) in (map[key]?.listValue ?? []).enumerated() {
                node[keyPath: keyPath].append(try compile(branch, path: "\(path).\(key)[\(offset)]", depth: depth + 1))
            }
        }
        node.intOrString = map["x-kubernetes-int-or-string"] == .bool(true) || node.format == "int-or-string"
        node.preserveUnknownFields = map["x-kubernetes-preserve-unknown-fields"] == .bool(true)
        node.embeddedResource = map["x-kubernetes-embedded-resource"] == .bool(true)
        node.minimum = Self.number(map["minimum"])
        node.maximum = Self.number(map["maximum"])
        node.exclusiveMinimum = map["exclusiveMinimum"] == .bool(true)
        node.exclusiveMaximum = map["exclusiveMaximum"] == .bool(true)
        node.minLength = Self.count(map["minLength"])
        node.maxLength = Self.count(map["maxLength"])
        node.minItems = Self.count(map["minItems"])
        node.maxItems = Self.count(map["maxItems"])
        node.minProperties = Self.count(map["minProperties"])
        node.maxProperties = Self.count(map["maxProperties"])
        return node
    }

    /// A keyword of the wrong shape is an error, never ignored: `required: name` (not a list)
    /// or `properties: []` would otherwise check nothing, silently.
    private static func checkKeywords(_ map: [String: Value], path: String) throws(SchemaCompileError) {
        func fail(_ key: String, _ expected: String) -> SchemaCompileError {
            SchemaCompileError(path: path + "." + key, message: "\(key) must be \(expected), found \(describe(map[key] ?? .null))")
        }
        for key in ["properties"] where map[key] != nil && map[key]?.mapValue == nil { throw fail(key, "a map of schemas") }
        for key in ["allOf", "anyOf", "oneOf", "enum"] where map[key] != nil && map[key]?.listValue == nil { throw fail(key, "a list") }
        if let required = map["required"], !(required.listValue?.allSatisfy { $0.stringValue != nil } ?? false) {
            throw fail("required", "a list of field names")
        }
        for key in ["format", "$ref"] where map[key] != nil && map[key]?.stringValue == nil { throw fail(key, "a string") }
        for key in ["x-kubernetes-int-or-string", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-embedded-resource",
                    "exclusiveMinimum", "exclusiveMaximum", "nullable"] {
            if let value = map[key], case .bool = value { continue }
            if map[key] != nil { throw fail(key, "true or false") }
        }
        for key in ["minimum", "maximum"] where map[key] != nil && number(map[key]) == nil { throw fail(key, "a number") }
        for key in ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"] where map[key] != nil && count(map[key]) == nil {
            throw fail(key, "a count (0 or more)")
        }
        if let additional = map["additionalProperties"], additional.mapValue == nil, additional != .bool(true), additional != .bool(false) {
            throw fail("additionalProperties", "true, false or a schema")
        }
    }

    private static func number(_ value: Value?) -> Double? {
        switch value {
        case .int(let n)?: return Double(n)
        case .double(let d)?: return d
        default: return nil
        }
    }

    private static func count(_ value: Value?) -> Int? {
        if case .int(let n)? = value, n >= 0 { return n }
        return nil
    }

    static func describe(_ value: Value) -> String {
        switch value {
        case .string(let s): return "\"\(s)\""
        case .int(let n): return String(n)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        case .null: return "null"
        case .list: return "a list"
        case .map: return "a map"
        }
    }
}
