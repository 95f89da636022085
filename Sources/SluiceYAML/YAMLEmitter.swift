/// Writes `Value`s as YAML the way Helm's `toYaml` does (sigs.k8s.io/yaml over go-yaml v2):
/// map keys sorted, two-space indent, lists not indented under their key, strings plain
/// when that reads back as the same string and quoted otherwise (`"on"`, `"0777"`, `'*'`),
/// multi-line strings as `|` literal blocks. Integral doubles print as integers (they pass
/// through JSON in Helm). Deliberate difference: long strings are not folded at 80 columns.
public enum YAMLEmitter {
    /// The document text, ending in a newline (as `yaml.Marshal`; `toYaml` trims it).
    public static func emit(_ value: Value) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    /// As go-yaml v3's encoder with an indent of 2 writes it (Helm's `toYamlPretty`): lists
    /// indented under their key, float64s as Go's `%g` (`1e+06`, `3`), not through JSON.
    public static func emitIndented(_ value: Value) -> String {
        var out = ""
        write(value, indent: 0, indented: true, into: &out)
        return out
    }

    /// Several objects as a `---`-separated stream.
    public static func emitStream(_ values: [Value]) -> String {
        values.map { "---\n" + emit($0) }.joined()
    }

    private static func write(_ value: Value, indent: Int, indented: Bool = false, into out: inout String) {
        switch value {
        case .map(let map) where !map.isEmpty: mapping(map, indent: indent, inline: false, indented: indented, into: &out)
        case .list(let list) where !list.isEmpty: sequence(list, indent: indent, inline: false, indented: indented, into: &out)
        default: out += scalar(value, indent: indent + 2, goFloats: indented) + "\n"
        }
    }

    private static func mapping(_ map: [String: Value], indent: Int, inline: Bool, indented: Bool = false, into out: inout String) {
        var first = true
        for key in map.keys.sorted() {
            if !(first && inline) { out += String(repeating: " ", count: indent) }
            first = false
            out += string(key, indent: indent + 2) + ":"
            let child = map[key] ?? .null
            switch child {
            case .map(let nested) where !nested.isEmpty:
                out += "\n"
                mapping(nested, indent: indent + 2, inline: false, indented: indented, into: &out)
            case .list(let items) where !items.isEmpty:
                out += "\n"
                sequence(items, indent: indented ? indent + 2 : indent, inline: false, indented: indented, into: &out)
            default:
                out += " " + scalar(child, indent: indent + 2, goFloats: indented) + "\n"
            }
        }
    }

    private static func sequence(_ list: [Value], indent: Int, inline: Bool, indented: Bool = false, into out: inout String) {
        var first = true
        for item in list {
            if !(first && inline) { out += String(repeating: " ", count: indent) }
            first = false
            out += "- "
            switch item {
            case .map(let nested) where !nested.isEmpty:
                mapping(nested, indent: indent + 2, inline: true, indented: indented, into: &out)
            case .list(let items) where !items.isEmpty:
                sequence(items, indent: indent + 2, inline: true, indented: indented, into: &out)
            default:
                out += scalar(item, indent: indent + 2, goFloats: indented) + "\n"
            }
        }
    }

    /// A scalar (or empty collection) on one line, or a literal block indented by `indent`.
    static func scalar(_ value: Value, indent: Int, goFloats: Bool = false) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return ".nan" }
            if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
            if !goFloats, d == d.rounded(), abs(d) < 1e21 { return GoNumberFormat.json(d) }
            return GoNumberFormat.g(d)
        case .string(let s): return string(s, indent: indent)
        case .list: return "[]"
        case .map: return "{}"
        }
    }

    static func string(_ s: String, indent: Int) -> String {
        let analysis = YAMLStringAnalysis(s)
        if s.utf8.contains(0x0A) {
            if analysis.blockAllowed { return literal(s, indent: indent) }
            return doubleQuoted(s)
        }
        if analysis.plainAllowed && !YAMLStringAnalysis.resolvesToNonString(s) { return s }
        if YAMLStringAnalysis.resolvesToNonString(s) || !analysis.singleQuotedAllowed { return doubleQuoted(s) }
        return "'" + s.replacing("'", with: "''") + "'"
    }

    private static func literal(_ s: String, indent: Int) -> String {
        var header = "|"
        if s.first == " " { header += "2" }
        if !s.hasSuffix("\n") {
            header += "-"
        } else if s == "\n" || s.hasSuffix("\n\n") {
            header += "+"
        }
        let pad = String(repeating: " ", count: indent)
        var body = s
        if body.hasSuffix("\n") { body.removeLast() }
        var out = header
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            out += "\n" + (line.isEmpty ? "" : pad + line)
        }
        return out
    }

    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\0": out += "\\0"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\u{0B}": out += "\\v"
            case "\u{0C}": out += "\\f"
            case "\r": out += "\\r"
            case "\u{1B}": out += "\\e"
            case "\u{85}": out += "\\N"
            case "\u{A0}": out += "\\_"
            case "\u{2028}": out += "\\L"
            case "\u{2029}": out += "\\P"
            default:
                if YAMLStringAnalysis.isPrintable(scalar) {
                    out.unicodeScalars.append(scalar)
                } else if scalar.value <= 0xFF {
                    out += "\\x" + hex(scalar.value, width: 2)
                } else if scalar.value <= 0xFFFF {
                    out += "\\u" + hex(scalar.value, width: 4)
                } else {
                    out += "\\U" + hex(scalar.value, width: 8)
                }
            }
        }
        return out + "\""
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
