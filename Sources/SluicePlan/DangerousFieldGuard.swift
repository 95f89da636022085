import SluiceModel
import SluiceYAML
import SluiceRender

/// Applies the dangerous-field rules (policies and `addon.yaml`) to an object's planned
/// update: `block` fails the pair with the rule's message, `drop` takes the change out of
/// the patch with a warning, `recreate` turns the update into a delete and a create.
public struct DangerousFieldGuard: Sendable {
    public let rules: [DangerousField]

    public init(rules: [DangerousField]) { self.rules = rules }

    public struct Outcome: Sendable, Equatable {
        /// The action to take; nil when a rule blocks it.
        public var action: ObjectAction?
        /// Why the pair fails (a `block` rule), or nil.
        public var blocked: String?
        /// What was left out or changed, for the plan to show.
        public var warnings: [String] = []
    }

    public func check(_ action: ObjectAction, key: ObjectKey) -> Outcome {
        guard case .update(let planned) = action else { return Outcome(action: action) }
        var outcome = Outcome(action: action)
        var patch = planned
        for rule in rules where rule.applies(toKind: key.kind, group: key.group) {
            let path = rule.path.split(separator: ".").map(String.init)
            guard Self.touches(patch, path) else { continue }
            let place = "\(key) \(rule.path)"
            switch rule.action {
            case .block:
                return Outcome(action: nil, blocked: "\(place): \(rule.message) [\(rule.file):\(rule.mark.line)]", warnings: outcome.warnings)
            case .drop:
                patch = Self.removing(path, from: patch)
                outcome.warnings.append("\(place): change left out: \(rule.message)")
            case .recreate:
                outcome.warnings.append("\(place): \(rule.message)")
                outcome.action = .recreate
            }
        }
        if outcome.action != .recreate {
            outcome.action = patch.mapValue?.isEmpty == false ? .update(patch: patch) : .unchanged
        }
        return outcome
    }

    /// Whether the patch sets or removes anything at or below `path`.
    static func touches(_ patch: Value, _ path: [String]) -> Bool {
        var current = patch
        for key in path {
            guard case .map(let map) = current, let next = map[key] else { return false }
            current = next
        }
        return true
    }

    /// The patch without `path`, and without maps that this leaves empty.
    static func removing(_ path: [String], from patch: Value) -> Value {
        guard let first = path.first, case .map(var map) = patch, let child = map[first] else { return patch }
        if path.count == 1 {
            map[first] = nil
        } else {
            let rest = removing(Array(path.dropFirst()), from: child)
            if case .map(let remaining) = rest, remaining.isEmpty { map[first] = nil } else { map[first] = rest }
        }
        return .map(map)
    }
}
