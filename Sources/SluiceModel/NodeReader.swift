import SluiceYAML
/// Reads one mapping of a typed kind: every key must be a known field (unknown ones are
/// reported with a did-you-mean), and each accessor reports a wrong type at the value's
/// position. Problems go to the sink; accessors return nil so reading can go on.
public struct NodeReader {
    public let node: YAMLNode
    public let file: String
    public let sink: DiagnosticSink
    /// Where this mapping sits, for messages: "spec.stages[1]".
    public let path: String
    private let values: [String: YAMLNode]

    public init?(_ node: YAMLNode, file: String, sink: DiagnosticSink, path: String, fields: [String]) {
        guard let pairs = node.mapping else {
            sink.error(file, node.mark, "\(path.isEmpty ? "document" : path) must be a mapping, found \(node.kindDescription)")
            return nil
        }
        self.node = node
        self.file = file
        self.sink = sink
        self.path = path
        var values: [String: YAMLNode] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar?.text else {
                sink.error(file, pair.key.mark, "keys of \(path) must be strings")
                continue
            }
            if fields.contains(key) {
                values[key] = pair.value
            } else {
                let place = path.isEmpty ? "" : " in \(path)"
                sink.error(file, pair.key.mark, "unknown field \"\(key)\"\(place)\(Suggestion.hint(for: key, in: fields))")
            }
        }
        self.values = values
    }

    public subscript(key: String) -> YAMLNode? { values[key] }

    public func has(_ key: String) -> Bool { values[key] != nil }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// A child mapping read with its own field list.
    public func object(_ key: String, fields: [String], required: Bool = false) -> NodeReader? {
        guard let child = values[key], !child.isNull else {
            if required { missing(key) }
            return nil
        }
        return NodeReader(child, file: file, sink: sink, path: field(key), fields: fields)
    }

    public func missing(_ key: String) {
        sink.error(file, node.mark, "missing required field \"\(field(key))\"")
    }

    /// A string field. The text is taken as written: `on`, `0777`, `1e3` stay strings.
    public func string(_ key: String, required: Bool = false) -> Located<String>? {
        guard let child = values[key], !child.isNull else {
            if required { missing(key) }
            return nil
        }
        return Self.string(child, file: file, sink: sink, what: field(key))
    }

    public static func string(_ node: YAMLNode, file: String, sink: DiagnosticSink, what: String) -> Located<String>? {
        guard let scalar = node.scalar else {
            sink.error(file, node.mark, "\(what) must be a string, found \(node.kindDescription)")
            return nil
        }
        return Located(scalar.text, at: node.mark)
    }

    public func int(_ key: String, range: ClosedRange<Int> = 0...Int.max) -> Located<Int>? {
        guard let child = values[key], !child.isNull else { return nil }
        guard let scalar = child.scalar, let number = Int(scalar.text) else {
            sink.error(file, child.mark, "\(field(key)) must be an integer")
            return nil
        }
        guard range.contains(number) else {
            sink.error(file, child.mark, "\(field(key)) must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
            return nil
        }
        return Located(number, at: child.mark)
    }

    /// Where a field's value is, when it is given.
    public func mark(of key: String) -> Mark? { values[key]?.mark }

    public func bool(_ key: String) -> Bool? {
        guard let child = values[key], !child.isNull else { return nil }
        guard let scalar = child.scalar, let value = ScalarResolver.bool(scalar.text) else {
            sink.error(file, child.mark, "\(field(key)) must be true or false")
            return nil
        }
        return value
    }

    public func list(_ key: String, required: Bool = false) -> [YAMLNode]? {
        guard let child = values[key], !child.isNull else {
            if required { missing(key) }
            return nil
        }
        guard let items = child.sequence else {
            sink.error(file, child.mark, "\(field(key)) must be a list, found \(child.kindDescription)")
            return nil
        }
        return items
    }

    public func stringList(_ key: String) -> [Located<String>] {
        (list(key) ?? []).enumerated().compactMap { index, item in
            Self.string(item, file: file, sink: sink, what: "\(field(key))[\(index)]")
        }
    }

    /// A mapping of string keys to string values (labels, images).
    public func stringMap(_ key: String) -> [String: Located<String>] {
        guard let child = values[key], !child.isNull else { return [:] }
        guard let pairs = child.mapping else {
            sink.error(file, child.mark, "\(field(key)) must be a mapping, found \(child.kindDescription)")
            return [:]
        }
        var result: [String: Located<String>] = [:]
        for pair in pairs {
            guard let name = pair.key.scalar?.text else { continue }
            if let value = Self.string(pair.value, file: file, sink: sink, what: "\(field(key)).\(name)") {
                result[name] = value
            }
        }
        return result
    }

    public func duration(_ key: String) -> Located<Duration>? {
        guard let text = string(key) else { return nil }
        guard let duration = GoDuration.parse(text.value) else {
            sink.error(file, text.mark, "\(field(key)) is not a duration: \"\(text.value)\" (write e.g. 30s, 10m, 1h30m)")
            return nil
        }
        return Located(duration, at: text.mark)
    }
}

/// A value with the place it was written, for messages that point at it.
public struct Located<T: Sendable>: Sendable {
    public var value: T
    public var mark: Mark
    public init(_ value: T, at mark: Mark) {
        self.value = value
        self.mark = mark
    }
}

extension Located: Equatable where T: Equatable {}
extension Located: Hashable where T: Hashable {}

