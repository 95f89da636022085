/// What an untyped plain scalar means (values files and rendered manifests).
///
/// The YAML 1.2 core schema, chosen to spare Kubernetes users YAML 1.1's surprises: only
/// `true`/`false` are booleans (`on`, `yes`, `y`, `off`, `no` stay strings); `null`, `~` and
/// empty are null; integers are decimal, `0x` hex or `0o` octal, and a leading-zero `0777` is
/// octal as Kubernetes' own YAML reader takes it; floats as in JSON plus `.inf`/`.nan`.
/// Quoted scalars are always strings; explicit tags (`!!str`, `!!int`) win.
/// Fields whose schema says string never go through here: they keep the text as written.
public enum ScalarResolver {
    public static func resolve(_ scalar: YAMLScalar, tag: String?) -> Value {
        let text = scalar.text
        if let tag {
            switch tag {
            case YAMLTag.str: return .string(text)
            case YAMLTag.null: return .null
            case YAMLTag.bool: return bool(text).map(Value.bool) ?? .string(text)
            case YAMLTag.int: return int(text).map(Value.int) ?? .string(text)
            case YAMLTag.float: return double(text).map(Value.double) ?? int(text).map { .double(Double($0)) } ?? .string(text)
            default: break
            }
        }
        guard scalar.style == .plain, tag == nil else { return .string(text) }
        return resolvePlain(text)
    }

    public static func resolvePlain(_ text: String) -> Value {
        guard let first = text.utf8.first else { return .null }
        switch first {
        case UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "~"):
            return isNull(text) ? .null : .string(text)
        case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"):
            return bool(text).map(Value.bool) ?? .string(text)
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            if let i = plainDecimal(text) ?? int(text) { return .int(i) }
            if let d = double(text) { return .double(d) }
            return .string(text)
        default:
            return .string(text)
        }
    }

    public static func isNull(_ text: String) -> Bool {
        text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    public static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// The common case of `int`, without building substrings: digits with no leading zero,
    /// short enough not to overflow. Anything else is left to `int`.
    private static func plainDecimal(_ text: String) -> Int? {
        let bytes = text.utf8
        guard bytes.count <= 18, let first = bytes.first, first != UInt8(ascii: "0") || bytes.count == 1 else { return nil }
        var result = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            result = result * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return result
    }

    /// `yaml11`: YAML 1.1's forms as yaml.v2 reads them (`0b` binary, no `0o`).
    public static func int(_ text: String, yaml11: Bool = false) -> Int? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        guard !body.isEmpty else { return nil }
        let radix: Int
        if body.hasPrefix("0x") { radix = 16; body = body.dropFirst(2) }
        else if yaml11 && body.hasPrefix("0b") { radix = 2; body = body.dropFirst(2) }
        else if !yaml11 && body.hasPrefix("0o") { radix = 8; body = body.dropFirst(2) }
        else if body.count > 1, body.hasPrefix("0") { radix = 8; body = body.dropFirst() }
        else { radix = 10 }
        guard !body.isEmpty, let magnitude = Int(body, radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }

    public static func double(_ text: String) -> Double? {
        switch text {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        // JSON-like numbers only: Swift's Double(String) would also take "inf" or hex floats.
        var sawDigit = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "-"), UInt8(ascii: "+"): continue
            default: return nil
            }
        }
        return sawDigit ? Double(text) : nil
    }
}
