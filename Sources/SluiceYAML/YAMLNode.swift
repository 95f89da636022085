/// A YAML node as written: scalars keep their text and quoting style, so the schema that
/// reads them decides what they mean (a `version: 1.10` field stays the string "1.10").
public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var content: Content
    public var mark: Mark
    /// An explicit tag such as `tag:yaml.org,2002:str` (`!!str`), or nil.
    public var tag: String?
    /// Nodes in this subtree, counted to bound alias expansion.
    public internal(set) var weight: Int
    /// Levels of nesting below this node (a scalar: 0), bounded by `ValueLimits.nesting`.
    public internal(set) var depth: Int

    public init(_ content: Content, mark: Mark, tag: String? = nil) {
        self.content = content
        self.mark = mark
        self.tag = tag
        switch content {
        case .scalar:
            weight = 1
            depth = 0
        case .sequence(let items):
            weight = items.reduce(1) { $0 + $1.weight }
            depth = 1 + items.reduce(0) { max($0, $1.depth) }
        case .mapping(let pairs):
            weight = pairs.reduce(1) { $0 + $1.key.weight + $1.value.weight }
            depth = 1 + pairs.reduce(0) { max($0, $1.key.depth, $1.value.depth) }
        }
    }

    public var scalar: YAMLScalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    public var sequence: [YAMLNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var mapping: [YAMLPair]? {
        if case .mapping(let pairs) = content { return pairs }
        return nil
    }

    /// True for `null`, `~`, an empty plain scalar, or `!!null`.
    public var isNull: Bool {
        guard let s = scalar else { return false }
        if tag == YAMLTag.null { return true }
        return s.style == .plain && ScalarResolver.isNull(s.text) && tag == nil
    }

    /// A short word for messages: "a mapping", "a list", "a string".
    public var kindDescription: String {
        switch content {
        case .scalar: return isNull ? "null" : "a scalar"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    /// The value of `key` in a mapping.
    public subscript(key: String) -> YAMLNode? {
        mapping?.first { $0.key.scalar?.text == key }?.value
    }
}

public struct YAMLScalar: Sendable, Hashable {
    public enum Style: Sendable, Hashable { case plain, singleQuoted, doubleQuoted, literal, folded }
    public var text: String
    public var style: Style

    public init(_ text: String, style: Style = .plain) {
        self.text = text
        self.style = style
    }
}

public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode
}

public enum YAMLTag {
    public static let str = "tag:yaml.org,2002:str"
    public static let int = "tag:yaml.org,2002:int"
    public static let float = "tag:yaml.org,2002:float"
    public static let bool = "tag:yaml.org,2002:bool"
    public static let null = "tag:yaml.org,2002:null"
    public static let map = "tag:yaml.org,2002:map"
    public static let seq = "tag:yaml.org,2002:seq"
}
