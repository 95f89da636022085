import SluiceModel
import SluiceYAML

/// Hides what a plan must never print (DESIGN, security): the `data` and `stringData` of
/// Secrets and every field a policy marks sensitive. Both sides of a diff are masked
/// together, so a reviewer still sees that a value changed, never what it was or became.
struct SensitiveValues: Sendable {
    static let hidden = Value.string("(sensitive value)")
    static let changed = Value.string("(sensitive value changed)")

    let fields: [SensitiveField]

    init(fields: [SensitiveField]) { self.fields = fields }

    func paths(for key: ObjectKey) -> [[String]] {
        var paths: [[String]] = []
        if key.group.isEmpty && key.kind == "Secret" { paths += [["data"], ["stringData"]] }
        for field in fields where field.applies(toKind: key.kind, group: key.group) {
            paths.append(field.path.split(separator: ".").map(String.init))
        }
        return paths
    }

    /// `before` and `after` with every sensitive value replaced by a marker.
    func mask(before: Value?, after: Value?, key: ObjectKey) -> (before: Value?, after: Value?) {
        var before = before, after = after
        for path in paths(for: key) {
            let old = before?.at(path), new = after?.at(path)
            guard old != nil || new != nil else { continue }
            let (maskedOld, maskedNew) = Self.mask(old, new)
            if let maskedOld { before?.set(path, to: maskedOld) }
            if let maskedNew { after?.set(path, to: maskedNew) }
        }
        return (before, after)
    }

    /// Maps are masked key by key (a Secret's keys are not secret, its values are).
    private static func mask(_ old: Value?, _ new: Value?) -> (Value?, Value?) {
        if case .map(let oldMap)? = old, case .map(let newMap)? = new {
            var a: [String: Value] = [:], b: [String: Value] = [:]
            for key in Set(oldMap.keys).union(newMap.keys) {
                let (x, y) = mask(oldMap[key], newMap[key])
                a[key] = x
                b[key] = y
            }
            return (.map(a), .map(b))
        }
        if case .map(let oldMap)? = old, new == nil { return (.map(oldMap.mapValues { _ in hidden }), nil) }
        if case .map(let newMap)? = new, old == nil { return (nil, .map(newMap.mapValues { _ in hidden })) }
        guard old != nil else { return (nil, new.map { _ in hidden }) }
        guard new != nil else { return (hidden, nil) }
        return (hidden, old == new ? hidden : changed)
    }
}
