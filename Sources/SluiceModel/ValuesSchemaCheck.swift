import SluiceYAML

/// Checks that a `values.schema.json` is a schema, as Helm's validator checks it against its
/// metaschema before any values: every keyword Sluice applies has the type its draft wants,
/// patterns compile (Go's syntax), local references resolve. Keywords Sluice cannot apply are
/// refused here by name.
struct ValuesSchemaCheck {
    let draft: ValuesSchema.Draft
    let root: Value
    /// References whose targets were checked (a target outside the keywords a draft knows,
    /// such as `$defs` before 2019-09, is checked when something refers to it).
    private var referenced: Set<String> = []

    init(draft: ValuesSchema.Draft, root: Value) {
        self.draft = draft
        self.root = root
    }

    static let typeNames: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]
    static let unsupported = ["unevaluatedProperties", "unevaluatedItems", "$dynamicRef", "$recursiveRef"]

    mutating func check(_ node: Value, pointer: String, depth: Int, patterns: inout [String: GoRegex]) throws(ValuesSchema.SchemaError) {
        func fail(_ key: String, _ message: String) -> ValuesSchema.SchemaError {
            ValuesSchema.SchemaError(pointer: pointer + "/" + key, message: message)
        }
        guard depth <= ValuesSchema.maximumDepth else { throw ValuesSchema.SchemaError(pointer: pointer, message: "the schema nests deeper than \(ValuesSchema.maximumDepth) levels") }
        let keywords: [String: Value]
        switch node {
        case .bool where draft != .legacy4: return
        case .map(let map): keywords = map
        default: throw ValuesSchema.SchemaError(pointer: pointer, message: "got \(ValuesSchema.typeName(node)), want \(draft == .legacy4 ? "object" : "boolean or object")")
        }
        func schema(_ key: String) throws(ValuesSchema.SchemaError) {
            if let sub = keywords[key] { try check(sub, pointer: pointer + "/" + key, depth: depth + 1, patterns: &patterns) }
        }
        func schemaList(_ key: String) throws(ValuesSchema.SchemaError) {
            guard let value = keywords[key] else { return }
            guard let items = value.listValue, !items.isEmpty else { throw fail(key, "got \(ValuesSchema.typeName(value)), want a non-empty array") }
            for (i, item) in items.enumerated() { try check(item, pointer: pointer + "/\(key)/\(i)", depth: depth + 1, patterns: &patterns) }
        }
        func schemaMap(_ key: String) throws(ValuesSchema.SchemaError) {
            guard let value = keywords[key] else { return }
            guard let members = value.mapValue else { throw fail(key, "got \(ValuesSchema.typeName(value)), want object") }
            for (name, sub) in members.sorted(by: { $0.key < $1.key }) { try check(sub, pointer: pointer + "/\(key)/\(name)", depth: depth + 1, patterns: &patterns) }
        }
        func number(_ key: String, nonNegativeInteger: Bool = false, positive: Bool = false) throws(ValuesSchema.SchemaError) {
            guard let value = keywords[key] else { return }
            guard let n = ValuesSchema.number(value) else { throw fail(key, "got \(ValuesSchema.typeName(value)), want number") }
            if nonNegativeInteger, !(ValuesSchema.isInteger(value) && n >= 0) { throw fail(key, "must be a non-negative integer") }
            if positive, !(n > 0) { throw fail(key, "must be greater than 0") }
        }
        func compile(_ pattern: String, at key: String) throws(ValuesSchema.SchemaError) {
            guard patterns[pattern] == nil else { return }
            do { patterns[pattern] = try GoRegex(pattern) } catch { throw fail(key, "'\(pattern)' is not a valid regex: \(error)") }
        }

        for key in Self.unsupported where keywords[key] != nil {
            throw fail(key, "\(key) is not supported by Sluice yet (the README lists what is left out)")
        }
        if let reference = keywords["$ref"] {
            guard let text = reference.stringValue else { throw fail("$ref", "got \(ValuesSchema.typeName(reference)), want string") }
            guard text.hasPrefix("#") else { throw fail("$ref", "'\(text)' is outside values.schema.json: Sluice reads no other file or URL") }
            guard let target = ValuesSchema.resolve(text, in: root) else { throw fail("$ref", "'\(text)' points at nothing in the schema") }
            if referenced.insert(text).inserted { try check(target, pointer: String(text.dropFirst()), depth: depth + 1, patterns: &patterns) }
        }
        func unique(_ key: String, _ items: [Value]) throws(ValuesSchema.SchemaError) {
            for i in items.indices { for j in items.indices where j > i && ValuesSchema.equal(items[i], items[j]) { throw fail(key, "items at \(i) and \(j) are equal") } }
        }
        if let type = keywords["type"] {
            let names = type.listValue ?? [type]
            if let list = type.listValue {
                guard !list.isEmpty else { throw fail("type", "want at least one type") }
                try unique("type", list)
            }
            for name in names where !(name.stringValue.map(Self.typeNames.contains) ?? false) {
                throw fail("type", "\(ValuesSchema.typeName(name) == "string" ? "'\(name.stringValue!)'" : ValuesSchema.typeName(name)) is not a type name")
            }
        }
        if let values = keywords["enum"] {
            guard let list = values.listValue else { throw fail("enum", "got \(ValuesSchema.typeName(values)), want array") }
            // Draft 4 to 7's metaschemas want a non-empty list without repeats; 2020-12's any list.
            if draft != .current {
                guard !list.isEmpty else { throw fail("enum", "want at least one value") }
                try unique("enum", list)
            }
        }
        for key in ["minimum", "maximum"] { try number(key) }
        for key in ["exclusiveMinimum", "exclusiveMaximum"] {
            if draft == .legacy4 {
                if let value = keywords[key], case .bool = value {} else if keywords[key] != nil { throw fail(key, "want boolean") }
            } else {
                try number(key)
            }
        }
        try number("multipleOf", positive: true)
        for key in ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"] {
            try number(key, nonNegativeInteger: true)
        }
        if let pattern = keywords["pattern"] {
            guard let text = pattern.stringValue else { throw fail("pattern", "got \(ValuesSchema.typeName(pattern)), want string") }
            try compile(text, at: "pattern")
        }
        if let required = keywords["required"] {
            guard let names = required.listValue, names.allSatisfy({ $0.stringValue != nil }) else { throw fail("required", "want an array of strings") }
            try unique("required", names)
        }
        if let unique = keywords["uniqueItems"] {
            guard case .bool = unique else { throw fail("uniqueItems", "want boolean") }
        }
        for key in ["not", "if", "then", "else", "additionalProperties", "contains", "propertyNames", "additionalItems"] { try schema(key) }
        for key in ["allOf", "anyOf", "oneOf"] { try schemaList(key) }
        for key in ["properties", "definitions"] { try schemaMap(key) }
        if draft == .current { try schemaMap("$defs"); try schemaMap("dependentSchemas") }
        try schemaMap("patternProperties")
        for pattern in (keywords["patternProperties"]?.mapValue ?? [:]).keys.sorted() { try compile(pattern, at: "patternProperties") }
        if let items = keywords["items"] {
            if draft != .current, items.listValue != nil { try schemaList("items") } else { try schema("items") }
        }
        if draft == .current { try schemaList("prefixItems") }
        if let dependencies = keywords["dependencies"]?.mapValue {
            for (name, value) in dependencies.sorted(by: { $0.key < $1.key }) where value.listValue == nil {
                try check(value, pointer: pointer + "/dependencies/" + name, depth: depth + 1, patterns: &patterns)
            }
        }
    }
}
