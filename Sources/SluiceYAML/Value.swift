/// Untyped data: meta-config values, template data and rendered Kubernetes objects.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([Value])
    case map([String: Value])

    // Inlinable: templates and the planner read fields in their hot loops, from other modules.
    @inlinable public subscript(key: String) -> Value? {
        if case .map(let map) = self { return map[key] }
        return nil
    }

    @inlinable public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    @inlinable public var mapValue: [String: Value]? {
        if case .map(let m) = self { return m }
        return nil
    }

    @inlinable public var listValue: [Value]? {
        if case .list(let l) = self { return l }
        return nil
    }

    /// Reads a dotted path such as `metadata.name`.
    public func at(_ path: String) -> Value? {
        at(path.split(separator: ".").map(String.init))
    }

    /// Reads a path of keys; hot code passes a constant array instead of splitting a string.
    @inlinable public func at(_ keys: [String]) -> Value? {
        var current: Value? = self
        for key in keys { current = current?[key] }
        return current
    }

    /// Sets a value at a path of keys, creating maps on the way.
    public mutating func set(_ path: [String], to value: Value) {
        guard let first = path.first else {
            self = value
            return
        }
        var map = mapValue ?? [:]
        var child = map[first] ?? .null
        child.set(Array(path.dropFirst()), to: value)
        map[first] = child
        self = .map(map)
    }
}

extension Value {
    /// Converts a YAML node with the untyped schema of `ScalarResolver`.
    public init(_ node: YAMLNode) {
        switch node.content {
        case .scalar(let scalar):
            self = ScalarResolver.resolve(scalar, tag: node.tag)
        case .sequence(let items):
            self = .list(items.map(Value.init))
        case .mapping(let pairs):
            var map: [String: Value] = [:]
            map.reserveCapacity(pairs.count)
            for pair in pairs {
                // Non-string keys (`1: x`) become their text, as Kubernetes' YAML-to-JSON does.
                map[pair.key.scalar?.text ?? ""] = Value(pair.value)
            }
            self = .map(map)
        }
    }
}
