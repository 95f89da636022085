import SluiceYAML

/// Helm's `toToml`: a value as BurntSushi/toml's encoder writes it. A map's plain keys first
/// (sorted), then its tables and arrays of tables (sorted), nested ones indented two spaces
/// per level; nil values left out; a list of maps only is an array of tables, any other
/// list is inline (`[1, {a = 1}]`).
enum TOMLEncoder {
    struct Failure: Error {
        let message: String
    }

    static func encode(_ value: Value) throws(Failure) -> String {
        var encoder = Writer()
        switch value {
        case .map(let map): try encoder.table(map, key: [])
        default:
            // A value that is not a table is written as it is, without a newline.
            encoder.out += try element(value)
        }
        return encoder.out
    }

    private struct Writer {
        var out = ""

        /// BurntSushi's `newline`: written only once something was.
        mutating func newline() { if !out.isEmpty { out += "\n" } }

        func indent(_ key: [String]) -> String { String(repeating: "  ", count: max(0, key.count - 1)) }

        mutating func table(_ map: [String: Value], key: [String]) throws(Failure) {
            let direct = map.keys.filter { !isTable(map[$0]!) }.sorted()
            let tables = map.keys.filter { isTable(map[$0]!) }.sorted()
            for name in direct {
                let value = map[name]!
                if case .null = value { continue }
                let path = key + [name]
                out += indent(path) + quotedKey(name) + " = " + (try element(value))
                newline()
            }
            for name in tables {
                let path = key + [name]
                switch map[name]! {
                case .map(let inner):
                    if path.count == 1 { newline() }
                    out += indent(path) + "[" + path.map(quotedKey).joined(separator: ".") + "]"
                    newline()
                    try table(inner, key: path)
                case .list(let items):
                    for case .map(let inner) in items {
                        newline()
                        out += indent(path) + "[[" + path.map(quotedKey).joined(separator: ".") + "]]"
                        newline()
                        try table(inner, key: path)
                    }
                default:
                    break
                }
            }
        }
    }

    /// A map, or a non-empty list of maps only.
    static func isTable(_ value: Value) -> Bool {
        switch value {
        case .map: return true
        case .list(let items): return !items.isEmpty && items.allSatisfy { if case .map = $0 { true } else { false } }
        default: return false
        }
    }

    static func quotedKey(_ key: String) -> String {
        let bare = !key.isEmpty && key.utf8.allSatisfy(isBareKeyByte)
        return bare ? key : quoted(key)
    }

    /// What a bare key is made of: ASCII letters and digits, `_` and `-`.
    static func isBareKeyByte(_ c: UInt8) -> Bool { c.isASCIIAlphanumeric || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\u{0C}": out += "\\f"
            case "\r": out += "\\r"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// An inline value.
    static func element(_ value: Value) throws(Failure) -> String {
        switch value {
        case .null: throw Failure(message: "toml: cannot encode a nil value")
        case .bool(let b): return b ? "true" : "false"
        case .int(let n): return String(n)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d < 0 ? "-inf" : "inf" }
            let text = GoNumberFormat.g(d)
            return text.contains(".") || text.contains("e") ? text : text + ".0"
        case .string(let s): return quoted(s)
        case .list(let items):
            var parts: [String] = []
            for item in items {
                if case .null = item { throw Failure(message: "toml: cannot encode array with nil element") }
                parts.append(try element(item))
            }
            return "[" + parts.joined(separator: ", ") + "]"
        case .map(let map):
            let keys = map.keys.filter { !isTable(map[$0]!) }.sorted() + map.keys.filter { isTable(map[$0]!) }.sorted()
            var parts: [String] = []
            for key in keys {
                if case .null = map[key]! { continue }
                parts.append(quotedKey(key) + " = " + (try element(map[key]!)))
            }
            return "{" + parts.joined(separator: ", ") + "}"
        }
    }
}
