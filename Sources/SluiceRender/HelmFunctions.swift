import Foundation
import SluiceModel
import SluiceYAML

/// Helm's and Sprig's functions for chart add-ons, with Sprig's semantics: a nil argument is
/// Go's nil (no missing-key errors: in Helm's dialect a missing key *is* nil), numbers
/// convert as Sprig's `toInt64`/`toFloat64` do, and every value made is bounded as in the
/// native set (`RenderLimits`).
enum HelmFunctions {
    /// The arguments of one call, with the checks every function shares.
    struct Call {
        let function: TemplateFunction
        let args: [Value]
        /// The arguments as given: `args` holds a Go struct (a time, a certificate) as its value.
        let datums: [Datum]

        /// Argument `i` when it is a Go struct.
        func goStruct(_ i: Int) -> GoStruct? {
            if case .goStruct(let s) = datums[i] { return s }
            return nil
        }

        /// Argument `i` when it is a Go time (`now`, `toDate`...).
        func time(_ i: Int) -> GoTime? {
            if case .time(let t)? = goStruct(i) { return t }
            return nil
        }

        /// Go's type name of argument `i` (`typeOf`), and its kind (`kindOf`).
        func typeName(_ i: Int) -> String { goStruct(i)?.typeName ?? HelmFunctions.typeName(args[i]) }
        func kind(_ i: Int) -> String { goStruct(i) == nil ? HelmFunctions.kind(args[i]) : "struct" }
        let mark: Mark
        let evaluator: TemplateEvaluator

        var name: String { function.rawValue }

        func fail(_ message: String, limit: RenderLimits.Kind? = nil) -> TemplateError {
            evaluator.error(mark, "\(name): \(message)", limit: limit)
        }

        func count(_ range: ClosedRange<Int>) throws(TemplateError) {
            guard range.contains(args.count) else {
                let want = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                throw fail("wrong number of args: want \(want) got \(args.count)")
            }
        }

        func atLeast(_ n: Int) throws(TemplateError) {
            guard args.count >= n else { throw fail("wrong number of args: want at least \(n) got \(args.count)") }
        }

        /// Sprig's `strval`: a string as it is, anything else as `%v` prints it.
        func string(_ i: Int) -> String { HelmFunctions.strval(args[i]) }

        func int(_ i: Int) throws(TemplateError) -> Int {
            guard let n = HelmFunctions.toInt64(args[i]) else { throw fail("\(GoPrint.string(args[i])) is out of range of an integer", limit: .integerRange) }
            return n
        }

        func list(_ i: Int) throws(TemplateError) -> [Value] {
            switch args[i] {
            case .list(let items): return items
            case .null: throw fail("cannot use nil as a list")
            case let other: throw fail("cannot use type \(GoPrint.typeName(other)) as a list")
            }
        }

        func map(_ i: Int) throws(TemplateError) -> [String: Value] {
            switch args[i] {
            case .map(let map): return map
            case let other: throw fail("cannot use type \(GoPrint.typeName(other)) as a map")
            }
        }

        func made(_ text: String) throws(TemplateError) -> Value {
            guard text.utf8.count <= RenderLimits.templateOutputBytes else {
                throw fail("the string made is larger than \(RenderLimits.templateOutputBytes >> 20) MiB (the limit of one template)", limit: .templateOutputBytes)
            }
            return .string(text)
        }

        func made(_ value: Value) throws(TemplateError) -> Value {
            switch value.exceeds(nesting: RenderLimits.valueNesting, nodes: RenderLimits.valueNodes) {
            case .nesting?: throw fail("the value made nests deeper than \(RenderLimits.valueNesting) levels (the limit of a value)", limit: .valueNesting)
            case .nodes?: throw fail("the value made holds more than \(RenderLimits.valueNodes) values (the limit of a value)", limit: .valueNodes)
            case nil: return value
            }
        }
    }

    static func call(_ function: TemplateFunction, _ args: [Datum], at mark: Mark, evaluator: TemplateEvaluator) throws(TemplateError) -> Datum {
        let values = args.map { datum -> Value in
            switch datum {
            case .value(let value), .root(let value): return value
            case .goStruct(let s): return s.value
            case .missing: return .null
            }
        }
        let call = Call(function: function, args: values, datums: args, mark: mark, evaluator: evaluator)
        if let result = try dates(call) { return result }
        if let result = try collections(call) { return .value(result) }
        if let result = try strings(call) { return .value(result) }
        if let result = try numbers(call) { return .value(result) }
        if let result = try conversions(call) { return .value(result) }
        if let result = try regex(call) { return .value(result) }
        if let result = try random(call) { return .value(result) }
        if let result = try decimals(call) { return .value(result) }
        if let result = try ciphers(call) { return .value(result) }
        if let result = try urls(call) { return .value(result) }
        if let result = try passwords(call) { return .value(result) }
        if let result = try certificates(call) { return result }
        throw call.fail("is not supported by Sluice yet (the README lists the functions left out)")
    }

    /// Sprig's `strval`.
    static func strval(_ value: Value) -> String {
        switch value {
        case .string(let s): return s
        case .null: return "<nil>"
        default: return GoPrint.string(value)
        }
    }

    /// Sprig's `toInt64` (through `cast`): numbers truncate, strings parse (0 when they do
    /// not), booleans are 0 or 1, anything else 0; nil when the number has no integer.
    static func toInt64(_ value: Value) -> Int? {
        switch value {
        case .int(let n): return n
        case .double(let d):
            guard d.isFinite else { return nil }
            return Int(exactly: d.rounded(.towardZero))
        case .string(let s):
            let trimmed = s.trimmingCharacters(in: .whitespaces)
            if let n = Int(trimmed) { return n }
            if let d = Double(trimmed), d.isFinite { return Int(exactly: d.rounded(.towardZero)) }
            return 0
        case .bool(let b): return b ? 1 : 0
        default: return 0
        }
    }

    /// Sprig's `toFloat64`.
    static func toFloat64(_ value: Value) -> Double {
        switch value {
        case .int(let n): return Double(n)
        case .double(let d): return d
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces)) ?? 0
        case .bool(let b): return b ? 1 : 0
        default: return 0
        }
    }

    /// A NaN or infinity the value holds, which Go's `encoding/json` refuses.
    static func nonFinite(in value: Value) -> Double? {
        switch value {
        case .double(let d) where !d.isFinite: return d
        case .list(let items): return items.lazy.compactMap(nonFinite).first
        case .map(let map): return map.values.lazy.compactMap(nonFinite).first
        default: return nil
        }
    }

    /// Values as Go's `encoding/json` writes them: a float64 with no fraction (below 1e21)
    /// as an integer, as Helm's `toYaml` and `toJson` print it.
    static func jsonNumbers(_ value: Value) -> Value {
        switch value {
        case .double(let d) where d == d.rounded() && abs(d) < 1e21:
            if let n = Int(exactly: d) { return .int(n) }
            return value
        case .list(let items): return .list(items.map(jsonNumbers))
        case .map(let map): return .map(map.mapValues(jsonNumbers))
        default: return value
        }
    }

    /// Go's reflect kind of a value, as `kindOf` names it.
    static func kind(_ value: Value) -> String {
        switch value {
        case .null: return "invalid"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float64"
        case .string: return "string"
        case .list: return "slice"
        case .map: return "map"
        }
    }
}
