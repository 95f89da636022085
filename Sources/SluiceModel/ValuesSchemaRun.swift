import SluiceYAML

/// One check of values against a `ValuesSchema`: every keyword of every schema that applies,
/// each violation with the path of the value at fault. Bounded in depth and in steps.
struct ValuesSchemaRun {
    let schema: ValuesSchema
    var violations: [ValuesSchema.Violation] = []
    var steps = 0
    var exhausted = false

    init(schema: ValuesSchema) { self.schema = schema }

    private mutating func fail(_ path: [String], _ message: String) {
        violations.append(ValuesSchema.Violation(path: path, message: message))
    }

    /// Whether the value meets the schema, with nothing recorded (for `anyOf`, `not`, `if`...).
    private mutating func passes(_ node: Value, _ value: Value, path: [String], depth: Int) -> Bool {
        var inner = ValuesSchemaRun(schema: schema)
        inner.steps = steps
        inner.validate(node, value, path: path, depth: depth)
        steps = inner.steps
        if inner.exhausted { exhausted = true }
        return inner.violations.isEmpty
    }

    mutating func validate(_ node: Value, _ value: Value, path: [String], depth: Int) {
        steps += 1
        guard !exhausted, steps <= ValuesSchema.maximumSteps, depth <= ValuesSchema.maximumDepth else { exhausted = true; return }
        if case .bool(let allowed) = node {
            if !allowed { fail(path, "false schema") }
            return
        }
        guard case .map(let keywords) = node else { return }
        if let reference = keywords["$ref"]?.stringValue, let target = schema.resolve(reference) {
            validate(target, value, path: path, depth: depth + 1)
            // Before 2019-09 a `$ref`'s siblings are ignored; Helm's validator still applies
            // `const` (measured with Helm v4.2.3 on every keyword).
            if schema.draft != .current {
                if let constant = keywords["const"], !ValuesSchema.equal(constant, value) { fail(path, "value must be \(Self.describe(constant))") }
                return
            }
        }
        if let type = keywords["type"] { checkType(type, value, path: path) }
        if let allowed = keywords["enum"]?.listValue, !allowed.contains(where: { ValuesSchema.equal($0, value) }) {
            fail(path, "value must be one of \(allowed.map(Self.describe).joined(separator: ", "))")
        }
        if let constant = keywords["const"], !ValuesSchema.equal(constant, value) {
            fail(path, "value must be \(Self.describe(constant))")
        }
        switch value {
        case .int, .double: checkNumber(keywords, ValuesSchema.number(value)!, path: path)
        case .string(let text): checkString(keywords, text, path: path)
        case .list(let items): checkArray(keywords, items, path: path, depth: depth)
        case .map(let members): checkObject(keywords, members, path: path, depth: depth)
        default: break
        }
        if let all = keywords["allOf"]?.listValue {
            for sub in all { validate(sub, value, path: path, depth: depth + 1) }
        }
        if let any = keywords["anyOf"]?.listValue, !any.contains(where: { passes($0, value, path: path, depth: depth + 1) }) {
            fail(path, "'anyOf' failed")
        }
        if let one = keywords["oneOf"]?.listValue {
            let matched = one.filter { passes($0, value, path: path, depth: depth + 1) }.count
            if matched == 0 { fail(path, "'oneOf' failed, none matched") }
            if matched > 1 { fail(path, "'oneOf' failed, \(matched) subschemas matched") }
        }
        if let not = keywords["not"], passes(not, value, path: path, depth: depth + 1) { fail(path, "'not' failed") }
        if let condition = keywords["if"], schema.draft != .legacy4 {
            if passes(condition, value, path: path, depth: depth + 1) {
                if let then = keywords["then"] { validate(then, value, path: path, depth: depth + 1) }
            } else if let otherwise = keywords["else"] {
                validate(otherwise, value, path: path, depth: depth + 1)
            }
        }
    }

    private mutating func checkType(_ type: Value, _ value: Value, path: [String]) {
        let names = type.listValue?.compactMap(\.stringValue) ?? [type.stringValue ?? ""]
        let actual = ValuesSchema.typeName(value)
        let ok = names.contains { name in
            name == actual || (name == "integer" && ValuesSchema.isInteger(value))
        }
        if !ok { fail(path, "got \(actual), want \(names.joined(separator: " or "))") }
    }

    private mutating func checkNumber(_ keywords: [String: Value], _ n: Double, path: [String]) {
        func bound(_ key: String) -> Double? { keywords[key].flatMap(ValuesSchema.number) }
        let draft4 = schema.draft == .legacy4
        if let m = bound("minimum") {
            let exclusive = draft4 && keywords["exclusiveMinimum"] == .bool(true)
            if exclusive ? !(n > m) : !(n >= m) { fail(path, "\(exclusive ? "exclusiveMinimum" : "minimum"): got \(Self.number(n)), want \(Self.number(m))") }
        }
        if let m = bound("maximum") {
            let exclusive = draft4 && keywords["exclusiveMaximum"] == .bool(true)
            if exclusive ? !(n < m) : !(n <= m) { fail(path, "\(exclusive ? "exclusiveMaximum" : "maximum"): got \(Self.number(n)), want \(Self.number(m))") }
        }
        if !draft4, let m = bound("exclusiveMinimum"), !(n > m) { fail(path, "exclusiveMinimum: got \(Self.number(n)), want \(Self.number(m))") }
        if !draft4, let m = bound("exclusiveMaximum"), !(n < m) { fail(path, "exclusiveMaximum: got \(Self.number(n)), want \(Self.number(m))") }
        if let m = bound("multipleOf"), !ValuesSchema.isMultiple(n, of: m) { fail(path, "multipleOf: got \(Self.number(n)), want \(Self.number(m))") }
    }

    private mutating func checkString(_ keywords: [String: Value], _ text: String, path: [String]) {
        let length = text.unicodeScalars.count
        if let min = keywords["minLength"].flatMap(ValuesSchema.number), Double(length) < min { fail(path, "minLength: got \(length), want \(Self.number(min))") }
        if let max = keywords["maxLength"].flatMap(ValuesSchema.number), Double(length) > max { fail(path, "maxLength: got \(length), want \(Self.number(max))") }
        if let pattern = keywords["pattern"]?.stringValue, let regex = compiled(pattern) {
            switch Result(catching: { () throws(GoRegexError) in try regex.matches(text) }) {
            case .success(true): break
            case .success(false): fail(path, "\(Self.describe(.string(text))) does not match pattern \(Self.describe(.string(pattern)))")
            case .failure: exhausted = true
            }
        }
    }

    /// A pattern compiled when the schema was checked; one the check did not reach is
    /// compiled now, and one that does not compile ends the run as a refusal, never a pass.
    private mutating func compiled(_ pattern: String) -> GoRegex? {
        if let known = schema.patterns[pattern] { return known }
        if let regex = try? GoRegex(pattern) { return regex }
        exhausted = true
        return nil
    }

    private mutating func checkArray(_ keywords: [String: Value], _ items: [Value], path: [String], depth: Int) {
        if let min = keywords["minItems"].flatMap(ValuesSchema.number), Double(items.count) < min { fail(path, "minItems: got \(items.count), want \(Self.number(min))") }
        if let max = keywords["maxItems"].flatMap(ValuesSchema.number), Double(items.count) > max { fail(path, "maxItems: got \(items.count), want \(Self.number(max))") }
        if keywords["uniqueItems"] == .bool(true) {
            steps += items.count * items.count / 2
            outer: for i in items.indices {
                for j in items.indices where j > i && ValuesSchema.equal(items[i], items[j]) {
                    fail(path, "items at \(i) and \(j) are equal")
                    break outer
                }
            }
        }
        // The items a tuple form covers, then the schema for the rest.
        var prefix: [Value] = []
        var rest: Value? = nil
        if schema.draft == .current {
            prefix = keywords["prefixItems"]?.listValue ?? []
            rest = keywords["items"]
        } else if let tuple = keywords["items"]?.listValue {
            prefix = tuple
            rest = keywords["additionalItems"]
        } else {
            rest = keywords["items"]
        }
        for (index, item) in items.enumerated() {
            if index < prefix.count {
                validate(prefix[index], item, path: path + [String(index)], depth: depth + 1)
            } else if let rest {
                if rest == .bool(false), schema.draft != .current {
                    fail(path, "last \(items.count - prefix.count) additionalItem(s) not allowed")
                    break
                }
                validate(rest, item, path: path + [String(index)], depth: depth + 1)
            }
        }
        if let contains = keywords["contains"] {
            let matched = items.indices.filter { passes(contains, items[$0], path: path + [String($0)], depth: depth + 1) }.count
            // `minContains` and `maxContains` came with 2019-09.
            let current = schema.draft == .current
            let minimum = current ? keywords["minContains"].flatMap(ValuesSchema.number) ?? 1 : 1
            if Double(matched) < minimum { fail(path, "min \(Self.number(minimum)) items required to match contains schema, but matched \(matched) items") }
            if current, let maximum = keywords["maxContains"].flatMap(ValuesSchema.number), Double(matched) > maximum {
                fail(path, "max \(Self.number(maximum)) items required to match contains schema, but matched \(matched) items")
            }
        }
    }

    private mutating func checkObject(_ keywords: [String: Value], _ members: [String: Value], path: [String], depth: Int) {
        if let min = keywords["minProperties"].flatMap(ValuesSchema.number), Double(members.count) < min { fail(path, "minProperties: got \(members.count), want \(Self.number(min))") }
        if let max = keywords["maxProperties"].flatMap(ValuesSchema.number), Double(members.count) > max { fail(path, "maxProperties: got \(members.count), want \(Self.number(max))") }
        if let required = keywords["required"]?.listValue?.compactMap(\.stringValue) {
            let missing = required.filter { members[$0] == nil }
            if !missing.isEmpty { fail(path, "missing propert\(missing.count == 1 ? "y" : "ies") \(missing.map { "'\($0)'" }.joined(separator: ", "))") }
        }
        let properties = keywords["properties"]?.mapValue ?? [:]
        let patternKeys = keywords["patternProperties"]?.mapValue ?? [:]
        for key in members.keys.sorted() {
            let member = members[key]!
            var covered = false
            if let sub = properties[key] {
                covered = true
                validate(sub, member, path: path + [key], depth: depth + 1)
            }
            for (pattern, sub) in patternKeys.sorted(by: { $0.key < $1.key }) {
                guard let regex = compiled(pattern) else { continue }
                switch Result(catching: { () throws(GoRegexError) in try regex.matches(key) }) {
                case .success(true):
                    covered = true
                    validate(sub, member, path: path + [key], depth: depth + 1)
                case .success(false): break
                case .failure: exhausted = true
                }
            }
            if !covered, let additional = keywords["additionalProperties"] {
                if additional == .bool(false) {
                    fail(path, "additional properties '\(key)' not allowed")
                } else {
                    validate(additional, member, path: path + [key], depth: depth + 1)
                }
            }
            if let names = keywords["propertyNames"], !passes(names, .string(key), path: path, depth: depth + 1) {
                fail(path, "invalid propertyName '\(key)'")
            }
        }
        // `dependentRequired` and `dependentSchemas` (2019-09), and `dependencies` before them.
        var requiredBy: [String: [String]] = [:], schemasBy: [String: Value] = [:]
        if schema.draft == .current {
            for (key, value) in keywords["dependentRequired"]?.mapValue ?? [:] { requiredBy[key] = value.listValue?.compactMap(\.stringValue) ?? [] }
            for (key, value) in keywords["dependentSchemas"]?.mapValue ?? [:] { schemasBy[key] = value }
        }
        for (key, value) in keywords["dependencies"]?.mapValue ?? [:] {
            if let names = value.listValue { requiredBy[key] = names.compactMap(\.stringValue) } else { schemasBy[key] = value }
        }
        for (key, names) in requiredBy.sorted(by: { $0.key < $1.key }) where members[key] != nil {
            let missing = names.filter { members[$0] == nil }
            if !missing.isEmpty { fail(path, "properties \(missing.map { "'\($0)'" }.joined(separator: ", ")) required, if '\(key)' exists") }
        }
        for (key, sub) in schemasBy.sorted(by: { $0.key < $1.key }) where members[key] != nil {
            validate(sub, .map(members), path: path, depth: depth + 1)
        }
    }

    static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : "\(d)"
    }

    static func describe(_ value: Value) -> String {
        switch value {
        case .string(let s): "'\(s)'"
        case .null: "null"
        case .int, .double: number(ValuesSchema.number(value)!)
        default: JSONEmitter.emit(value)
        }
    }
}
