import SluiceModel
import SluiceYAML

/// A value during template execution: a `Value`, or a key that was not there. A missing
/// key is an error when printed or passed to most functions, but `default`, `required`,
/// `if`, `with`, `and`, `or`, `not` and `empty` accept it: that is how templates say
/// "optional" (DESIGN §1).
enum Datum: Sendable {
    case value(Value)
    case missing(key: String)
    /// The template's root data (`$`, and `.` at the top). Kept apart so the evaluator can
    /// tell whether a template used `.Cluster`: fields other than `Cluster` read through it
    /// freely, any other use (printing it, passing it to a function, ranging over it) counts
    /// as reading the cluster. A template that never does renders the same on every cluster
    /// with the same values, so its output can be reused (see `TemplateOutputMemo`).
    case root(Value)
    /// A Go struct that Sprig's functions make (a time, a certificate), which only they read;
    /// elsewhere it is what `GoStruct.value` says.
    case goStruct(GoStruct)

    static let null = Datum.value(.null)

    var value: Value? {
        switch self {
        case .value(let v), .root(let v): return v
        case .goStruct(let s): return s.value
        case .missing: return nil
        }
    }

    /// Go's notion of truth: false, 0, nil, and empty strings, lists and maps are false.
    var isTruthy: Bool {
        let v: Value
        switch self {
        case .missing: return false
        case .root: return true  // the root map always has its five keys
        case .goStruct: return true  // Go's structs are always true
        case .value(let value): v = value
        }
        switch v {
        case .null: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        case .map(let m): return !m.isEmpty
        }
    }
}

/// How Go's `fmt` prints a value with `%v` (and text/template prints an action).
enum GoPrint {
    static func string(_ value: Value) -> String {
        switch value {
        case .null: return ""
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return GoNumberFormat.g(d)
        case .string(let s): return s
        case .list(let items): return "[" + items.map(nested).joined(separator: " ") + "]"
        case .map(let map): return "map[" + map.keys.sorted().map { "\($0):\(nested(map[$0] ?? .null))" }.joined(separator: " ") + "]"
        }
    }

    /// Inside a list or map Go prints nil as `<nil>`.
    private static func nested(_ value: Value) -> String {
        if case .null = value { return "<nil>" }
        return string(value)
    }

    /// Go's type name, for messages such as "can't evaluate field x in type string".
    static func typeName(_ value: Value) -> String {
        switch value {
        case .null: return "nil"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float64"
        case .string: return "string"
        case .list: return "[]interface {}"
        case .map: return "map[string]interface {}"
        }
    }

    /// `strconv.Quote`: Go's double-quoted form with Go escapes.
    static func quote(_ s: String) -> String {
        // Fast path: printable ASCII without quotes or backslashes needs no escaping.
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) { return "\"" + s + "\"" }
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{0B}": out += "\\v"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\x" + hex(scalar.value, 2)
                } else if scalar.isASCII {
                    out.unicodeScalars.append(scalar)
                } else if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                            || scalar.properties.generalCategory == .unassigned || scalar.properties.generalCategory == .lineSeparator
                            || scalar.properties.generalCategory == .paragraphSeparator || scalar.properties.generalCategory == .surrogate
                            || scalar.properties.generalCategory == .privateUse || (scalar.properties.generalCategory == .spaceSeparator && scalar != " ") {
                    out += scalar.value <= 0xFFFF ? "\\u" + hex(scalar.value, 4) : "\\U" + hex(scalar.value, 8)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func hex(_ value: UInt32, _ width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
