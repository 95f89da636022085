import SluiceYAML
/// A Kubernetes label selector: `matchLabels` and `matchExpressions` (In, NotIn, Exists,
/// DoesNotExist), all ANDed. An empty selector matches everything.
public struct LabelSelector: Sendable, Hashable {
    public struct Requirement: Sendable, Hashable {
        public enum Operator: String, Sendable, CaseIterable { case `in` = "In", notIn = "NotIn", exists = "Exists", doesNotExist = "DoesNotExist" }
        public var key: String
        public var op: Operator
        public var values: [String]

        public init(key: String, op: Operator, values: [String]) {
            self.key = key
            self.op = op
            self.values = values
        }
    }

    public var matchLabels: [String: String] = [:]
    public var matchExpressions: [Requirement] = []
    public var mark: Mark = .start
    /// False when part of it could not be read: its meaning is unknown, so membership checks
    /// that depend on it are skipped rather than reported as false errors.
    public var isValid = true

    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    public func matches(_ labels: [String: String]) -> Bool {
        for (key, value) in matchLabels where labels[key] != value { return false }
        for requirement in matchExpressions {
            let value = labels[requirement.key]
            switch requirement.op {
            case .in: guard let value, requirement.values.contains(value) else { return false }
            case .notIn: if let value, requirement.values.contains(value) { return false }
            case .exists: if value == nil { return false }
            case .doesNotExist: if value != nil { return false }
            }
        }
        return true
    }

    public var description: String {
        var parts = matchLabels.keys.sorted().map { "\($0)=\(matchLabels[$0] ?? "")" }
        for r in matchExpressions {
            switch r.op {
            case .in: parts.append("\(r.key) in (\(r.values.joined(separator: ",")))")
            case .notIn: parts.append("\(r.key) notin (\(r.values.joined(separator: ",")))")
            case .exists: parts.append(r.key)
            case .doesNotExist: parts.append("!\(r.key)")
            }
        }
        return parts.isEmpty ? "(all)" : parts.joined(separator: ",")
    }

    static func read(_ reader: NodeReader?, required: Bool = true) -> LabelSelector? {
        guard let reader else { return nil }
        var selector = LabelSelector()
        selector.mark = reader.node.mark
        selector.matchLabels = reader.stringMap("matchLabels").mapValues(\.value)
        for (index, item) in (reader.list("matchExpressions") ?? []).enumerated() {
            let path = "\(reader.path).matchExpressions[\(index)]"
            guard let expression = NodeReader(item, file: reader.file, sink: reader.sink, path: path,
                                              fields: ["key", "operator", "values"]),
                  let key = expression.string("key", required: true),
                  let op = expression.string("operator", required: true) else {
                selector.isValid = false
                continue
            }
            guard let parsed = Requirement.Operator(rawValue: op.value) else {
                let names = Requirement.Operator.allCases.map(\.rawValue)
                selector.isValid = false
                reader.sink.error(reader.file, op.mark, "\(path).operator must be one of \(names.joined(separator: ", ")), found \"\(op.value)\"\(Suggestion.hint(for: op.value, in: names))")
                continue
            }
            let values = expression.stringList("values").map(\.value)
            let needsValues = parsed == .in || parsed == .notIn
            if needsValues && values.isEmpty {
                selector.isValid = false
                reader.sink.error(reader.file, op.mark, "\(path): operator \(parsed.rawValue) needs a non-empty values list")
                continue
            }
            if !needsValues && !values.isEmpty {
                selector.isValid = false
                reader.sink.error(reader.file, op.mark, "\(path): operator \(parsed.rawValue) takes no values")
                continue
            }
            selector.matchExpressions.append(Requirement(key: key.value, op: parsed, values: values))
        }
        return selector
    }

    static let fields = ["matchLabels", "matchExpressions"]
}
