import SluiceYAML

/// One way an object does not match its kind's schema, at a field path written as kubectl
/// writes it (`spec.template.spec.containers[0].resources`).
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    public enum Problem: Sendable, Hashable {
        /// The field holds another type than the schema's (`replicas: six`).
        case wrongType(expected: String, found: String)
        /// A field the schema does not have, which the API server refuses with
        /// `fieldValidation=Strict` (or drops without it).
        case unknownField
        /// A required field is missing (the path names it).
        case missingField
        /// The value is not one of the values the schema lists.
        case notInEnum(allowed: [String])
        /// A number, length or count outside the schema's bounds.
        case outOfBounds(String)
        /// No alternative of a `oneOf`/`anyOf` matches, or several of a `oneOf` do.
        case alternatives(String)
        /// Neither the OpenAPI documents nor a CRD of the cluster define the kind.
        case noSchema(apiVersion: String, kind: String)
        /// The object and schema together need more checking steps than allowed.
        case tooComplex

        /// A short name for programs (the diagnostic's code is `schema.<name>`).
        public var name: String {
            switch self {
            case .wrongType: return "wrongType"
            case .unknownField: return "unknownField"
            case .missingField: return "missingField"
            case .notInEnum: return "notInEnum"
            case .outOfBounds: return "outOfBounds"
            case .alternatives: return "alternatives"
            case .noSchema: return "noSchema"
            case .tooComplex: return "tooComplex"
            }
        }
    }

    public var path: String
    public var problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        let at = path.isEmpty ? "" : "\(path): "
        switch problem {
        case .wrongType(let expected, let found): return "\(at)expected \(expected), found \(found)"
        case .unknownField: return "unknown field \"\(path)\""
        case .missingField: return "missing required field \"\(path)\""
        case .notInEnum(let allowed): return "\(at)must be one of \(allowed.joined(separator: ", "))"
        case .outOfBounds(let rule): return "\(at)\(rule)"
        case .alternatives(let what): return "\(at)\(what)"
        case .noSchema(let apiVersion, let kind):
            return "no schema for \(kind) in \(apiVersion): neither the OpenAPI documents nor a CustomResourceDefinition the cluster's add-ons render define it (save its group's document with `kubectl get --raw /openapi/v3/apis/<group>/<version>`)"
        case .tooComplex: return "\(at)the object and its schema need too many checking steps; not checked further"
        }
    }
}

/// A field path as the validator walks it: segments pushed and popped, text made only when
/// a violation is found (most objects have none).
struct FieldPath {
    enum Segment {
        case key(String)
        case index(Int)
    }

    private(set) var segments: [Segment] = []

    mutating func push(_ segment: Segment) { segments.append(segment) }
    mutating func pop() { segments.removeLast() }

    var text: String {
        var out = ""
        for segment in segments {
            switch segment {
            case .key(let key): out += out.isEmpty ? key : ".\(key)"
            case .index(let index): out += "[\(index)]"
            }
        }
        return out
    }

    func appending(_ key: String) -> String {
        let base = text
        return base.isEmpty ? key : "\(base).\(key)"
    }
}
