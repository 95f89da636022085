import Foundation
import SluiceYAML

/// A chart's `values.schema.json`, checked as Helm v4 checks it (santhosh-tekuri/jsonschema):
/// JSON Schema 2020-12 unless `$schema` names draft 4, 6 or 7; the schema is checked itself
/// first (a schema that is not one is the chart's error); `format` is an annotation, never
/// asserted; `pattern` is Go's regular expression. What Sluice does not support
/// (`unevaluated*`, `$dynamicRef`, references outside the file) is refused by name, never
/// ignored: a schema Sluice cannot apply is not read as "the values are fine".
public struct ValuesSchema: Sendable {
    /// One value that does not meet the schema: where (a JSON pointer into the values) and why.
    public struct Violation: Sendable, Equatable {
        public var path: [String]
        public var message: String
        public var pointer: String { path.isEmpty ? "" : "/" + path.map { $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined(separator: "/") }
    }

    /// Why a schema is not one: where in the schema, and what is wrong.
    public struct SchemaError: Error, Sendable, Equatable {
        public var pointer: String
        public var message: String
    }

    enum Draft: Sendable { case legacy4, legacy, current }

    /// Schemas entered while checking one value: bounds `$ref` cycles and hostile nesting.
    public static let maximumDepth = 200
    /// Schema applications for one check, so a schema with `$ref`s fanning out is bounded.
    public static let maximumSteps = 2_000_000

    let root: Value
    let draft: Draft
    /// Compiled `pattern`s and `patternProperties` keys, by pattern.
    let patterns: [String: GoRegex]

    public init(json bytes: [UInt8], file: String) throws(SchemaError) {
        let root: Value
        do { root = Value(try YAMLParser().parseSingle(bytes, file: file)) } catch {
            throw SchemaError(pointer: "", message: "not JSON: \(error.message)")
        }
        try self.init(root)
    }

    public init(_ root: Value) throws(SchemaError) {
        self.root = root
        let declared = root.mapValue?["$schema"]?.stringValue ?? ""
        if declared.contains("draft-04") { draft = .legacy4 } else if declared.contains("draft-06") || declared.contains("draft-07") { draft = .legacy } else { draft = .current }
        var patterns: [String: GoRegex] = [:]
        var check = ValuesSchemaCheck(draft: draft, root: root)
        try check.check(root, pointer: "", depth: 0, patterns: &patterns)
        self.patterns = patterns
    }

    /// Every violation of the values (nil when the work bound was reached first, which the
    /// caller must treat as a refusal).
    public func violations(of values: Value) -> [Violation]? {
        var run = ValuesSchemaRun(schema: self)
        run.validate(root, values, path: [], depth: 0)
        return run.exhausted ? nil : run.violations
    }

    /// The schema a local reference (`#`, `#/$defs/x`, `#/definitions/x`) points at.
    func resolve(_ reference: String) -> Value? { Self.resolve(reference, in: root) }

    static func resolve(_ reference: String, in root: Value) -> Value? {
        guard reference.hasPrefix("#") else { return nil }
        var current = root
        let pointer = String(reference.dropFirst()).removingPercentEncoding ?? ""
        guard !pointer.isEmpty else { return root }
        guard pointer.hasPrefix("/") else { return nil }
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .map(let map): guard let next = map[token] else { return nil }; current = next
            case .list(let items): guard let i = Int(token), items.indices.contains(i) else { return nil }; current = items[i]
            default: return nil
            }
        }
        return current
    }

    /// JSON's type name of a value, as the validator reports it.
    static func typeName(_ value: Value) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .list: "array"
        case .map: "object"
        }
    }

    static func isInteger(_ value: Value) -> Bool {
        switch value {
        case .int: true
        case .double(let d): d.isFinite && d == d.rounded()
        default: false
        }
    }

    static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let n): Double(n)
        case .double(let d): d
        default: nil
        }
    }

    /// JSON equality: numbers by value (1 equals 1.0), objects by their members.
    static func equal(_ a: Value, _ b: Value) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        switch (a, b) {
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.map(let x), .map(let y)): return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        default: return a == b
        }
    }

    /// Whether `value` is a multiple of `divisor`, in decimal arithmetic (0.3 is a multiple of
    /// 0.1, as in the validator's exact rationals, though not in binary floating point).
    static func isMultiple(_ value: Double, of divisor: Double) -> Bool {
        guard value.isFinite, divisor.isFinite, divisor > 0 else { return false }
        guard let x = Decimal(string: "\(value)"), let m = Decimal(string: "\(divisor)") else { return false }
        var quotient = x / m, rounded = Decimal()
        NSDecimalRound(&rounded, &quotient, 0, .plain)
        return rounded == quotient
    }
}
