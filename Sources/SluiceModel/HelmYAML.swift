import Foundation
import SluiceYAML

/// A chart's YAML values as Helm reads them (`sigs.k8s.io/yaml` over `yaml.v2`, then JSON):
/// YAML 1.1 scalars (`yes`, `on`, `y` are true; `no`, `off`, `n` false; `0777` octal;
/// `1_000` is 1000), every number a float64 (so 1000000 prints `1e+06`, as in Helm), and keys
/// that YAML reads as booleans or numbers turned into their text (`on:` is the key "true").
/// Sluice's own files keep YAML 1.2's rules (`ScalarResolver`).
public enum HelmYAML {
    public static func value(_ node: YAMLNode) -> Value {
        switch node.content {
        case .scalar(let scalar):
            return scalarValue(scalar, tag: node.tag)
        case .sequence(let items):
            return .list(items.map(value))
        case .mapping(let pairs):
            var map: [String: Value] = [:]
            map.reserveCapacity(pairs.count)
            for pair in pairs {
                let key: String
                if let scalar = pair.key.scalar {
                    switch scalarValue(scalar, tag: pair.key.tag) {
                    case .bool(let b): key = b ? "true" : "false"
                    case .double(let d): key = GoNumberFormat.g(d)
                    case .null: key = "null"
                    default: key = scalar.text
                    }
                } else {
                    key = ""
                }
                map[key] = value(pair.value)
            }
            return .map(map)
        }
    }

    static func scalarValue(_ scalar: YAMLScalar, tag: String?) -> Value {
        let text = scalar.text
        if let tag, tag != YAMLTag.str, tag != YAMLTag.null, tag != YAMLTag.bool, tag != YAMLTag.int, tag != YAMLTag.float {
            return .string(text)
        }
        if tag == YAMLTag.str || (tag == nil && scalar.style != .plain) { return .string(text) }
        if tag == YAMLTag.null || ScalarResolver.isNull(text) && tag == nil { return .null }
        switch text {
        case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON": return .bool(true)
        case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF": return .bool(false)
        default: break
        }
        let plain = text.replacingOccurrences(of: "_", with: "")
        if plain.allSatisfy(\.isASCII), let number = ScalarResolver.int(plain, yaml11: true) { return .double(Double(number)) }
        if let number = ScalarResolver.double(plain) { return .double(number) }
        return .string(text)
    }

    /// Sluice-read values (YAML 1.2) made Go-typed as Helm holds them: numbers are float64.
    public static func goTyped(_ value: Value) -> Value {
        switch value {
        case .int(let n): return .double(Double(n))
        case .list(let items): return .list(items.map(goTyped))
        case .map(let map): return .map(map.mapValues(goTyped))
        default: return value
        }
    }
}
