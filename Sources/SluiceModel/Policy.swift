import SluiceYAML
/// `policies/*.yaml` (shipped defaults and the fleet repo's own): dangerous fields, manifest
/// rules, release windows and a global freeze.
public struct Policy: Sendable {
    public struct ReleaseWindow: Sendable {
        /// Empty: every environment.
        public var environments: [String]
        public var window: TimeWindow
    }

    public struct Freeze: Sendable {
        public var enabled: Bool
        public var reason: String
        public var environments: [String]
    }

    public var header: ObjectHeader
    public var dangerousFields: [DangerousField]
    public var manifestRules: [ManifestRule]
    public var releaseWindows: [ReleaseWindow]
    public var freeze: Freeze?
    /// Fields whose values plans never print (beside the data of Secrets, always hidden).
    public var sensitiveFields: [SensitiveField] = []
    /// Programs a `command` check may run. A fleet repo's policy may allow only programs
    /// inside the repo (relative paths); anything else must be allowed on the machine Sluice
    /// runs on (`sluice run --allow-command`).
    public var allowedCommands: [Located<String>] = []

    public var name: String { header.name.value }

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink) -> Policy? {
        guard let (header, spec) = ObjectHeader.read(node, file: file, sink: sink, kind: "Policy",
                                                     specFields: ["dangerousFields", "manifestRules", "releaseWindows", "freeze",
                                                                  "sensitiveFields", "allowedCommands", "description"]),
              let spec else { return nil }
        let dangerous = (spec.list("dangerousFields") ?? []).enumerated().compactMap { index, item in
            DangerousField.read(item, file: file, sink: sink, path: "spec.dangerousFields[\(index)]")
        }
        let rules = (spec.list("manifestRules") ?? []).enumerated().compactMap { index, item in
            ManifestRule.read(item, file: file, sink: sink, path: "spec.manifestRules[\(index)]")
        }
        let windows = (spec.list("releaseWindows") ?? []).enumerated().compactMap { index, item -> ReleaseWindow? in
            guard let reader = NodeReader(item, file: file, sink: sink, path: "spec.releaseWindows[\(index)]",
                                          fields: ["environments", "timezone", "allow", "deny"]),
                  let window = TimeWindow.read(reader) else { return nil }
            return ReleaseWindow(environments: reader.stringList("environments").map(\.value), window: window)
        }
        var freeze: Freeze?
        if let reader = spec.object("freeze", fields: ["enabled", "reason", "environments"]) {
            freeze = Freeze(enabled: reader.bool("enabled") ?? true, reason: reader.string("reason")?.value ?? "",
                            environments: reader.stringList("environments").map(\.value))
        }
        let sensitive = (spec.list("sensitiveFields") ?? []).enumerated().compactMap { index, item in
            SensitiveField.read(item, file: file, sink: sink, path: "spec.sensitiveFields[\(index)]")
        }
        let commands = spec.stringList("allowedCommands")
        for command in commands where RepoPath.join("", command.value).map(\.isEmpty) ?? true {
            sink.error(file, command.mark, "spec.allowedCommands: \"\(command.value)\" is outside the fleet repo; a repo may allow only its own programs (allow others with sluice run --allow-command)")
        }
        return Policy(header: header, dangerousFields: dangerous, manifestRules: rules, releaseWindows: windows,
                      freeze: freeze, sensitiveFields: sensitive, allowedCommands: commands.compactMap { command in
                          RepoPath.join("", command.value).flatMap { $0.isEmpty ? nil : Located($0, at: command.mark) }
                      })
    }
}

/// A field whose change is dangerous, and what to do about it (DESIGN §2, three-way rule).
public struct DangerousField: Sendable, Hashable {
    public enum Action: String, Sendable, CaseIterable { case block, drop, recreate }
    /// Kinds it applies to (`Deployment`, `apps/StatefulSet`); empty means every kind.
    public var kinds: [String]
    /// A dotted path into the object, e.g. `spec.selector` or `spec.volumeClaimTemplates`.
    public var path: String
    public var action: Action
    public var message: String
    public var file: String
    public var mark: Mark

    public func applies(toKind kind: String, group: String) -> Bool {
        kinds.isEmpty || kinds.contains(kind) || kinds.contains("\(group)/\(kind)")
    }

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink, path: String) -> DangerousField? {
        guard let reader = NodeReader(node, file: file, sink: sink, path: path, fields: ["kinds", "path", "action", "message"]),
              let fieldPath = reader.string("path", required: true),
              let actionText = reader.string("action", required: true) else { return nil }
        guard let action = Action(rawValue: actionText.value) else {
            let names = Action.allCases.map(\.rawValue)
            sink.error(file, actionText.mark, "\(path).action must be one of \(names.joined(separator: ", ")), found \"\(actionText.value)\"\(Suggestion.hint(for: actionText.value, in: names))")
            return nil
        }
        if fieldPath.value.isEmpty || fieldPath.value.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            sink.error(file, fieldPath.mark, "\(path).path \"\(fieldPath.value)\" must be a dotted field path such as spec.selector")
            return nil
        }
        return DangerousField(kinds: reader.stringList("kinds").map(\.value), path: fieldPath.value, action: action,
                              message: reader.string("message")?.value ?? "\(fieldPath.value) is dangerous to change",
                              file: file, mark: node.mark)
    }
}

/// A field a plan shows only as `(sensitive value)`, e.g. a token in a ConfigMap.
public struct SensitiveField: Sendable, Hashable {
    /// Kinds it applies to (`ConfigMap`, `apps/Deployment`); empty means every kind.
    public var kinds: [String]
    /// A dotted path; every value under it is hidden.
    public var path: String

    public init(kinds: [String], path: String) {
        self.kinds = kinds
        self.path = path
    }

    public func applies(toKind kind: String, group: String) -> Bool {
        kinds.isEmpty || kinds.contains(kind) || kinds.contains("\(group)/\(kind)")
    }

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink, path: String) -> SensitiveField? {
        guard let reader = NodeReader(node, file: file, sink: sink, path: path, fields: ["kinds", "path"]),
              let fieldPath = reader.string("path", required: true) else { return nil }
        if fieldPath.value.isEmpty || fieldPath.value.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            sink.error(file, fieldPath.mark, "\(path).path \"\(fieldPath.value)\" must be a dotted field path such as data.token")
            return nil
        }
        return SensitiveField(kinds: reader.stringList("kinds").map(\.value), path: fieldPath.value)
    }
}

/// A rule every rendered object must pass. The rule types are built in; a policy picks one
/// and sets its parameters and message.
public struct ManifestRule: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Images must carry a tag or digest, and none of these tags.
        case imageTag(forbiddenTags: [String])
        /// Every container of these kinds sets `resources.limits` for these resources.
        case resourceLimits(kinds: [String], resources: [String])
        /// `hostNetwork: true` only in these namespaces or for these add-ons.
        case hostNetwork(allowedNamespaces: [String], allowedAddons: [String])
    }

    public var name: String
    public var kind: Kind
    public var message: String
    public var file: String
    public var mark: Mark

    static let types = ["imageTag", "resourceLimits", "hostNetwork"]

    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink, path: String) -> ManifestRule? {
        guard let reader = NodeReader(node, file: file, sink: sink, path: path,
                                      fields: ["name", "type", "message", "forbiddenTags", "kinds", "resources",
                                               "allowedNamespaces", "allowedAddons"]),
              let name = reader.string("name", required: true),
              let type = reader.string("type", required: true),
              let message = reader.string("message", required: true) else { return nil }
        let kind: Kind
        switch type.value {
        case "imageTag":
            kind = .imageTag(forbiddenTags: reader.stringList("forbiddenTags").map(\.value))
        case "resourceLimits":
            let resources = reader.stringList("resources").map(\.value)
            kind = .resourceLimits(kinds: reader.stringList("kinds").map(\.value),
                                   resources: resources.isEmpty ? ["cpu", "memory"] : resources)
        case "hostNetwork":
            kind = .hostNetwork(allowedNamespaces: reader.stringList("allowedNamespaces").map(\.value),
                                allowedAddons: reader.stringList("allowedAddons").map(\.value))
        default:
            sink.error(file, type.mark, "\(path).type \"\(type.value)\" is not a manifest rule type; use one of \(types.joined(separator: ", "))\(Suggestion.hint(for: type.value, in: types))")
            return nil
        }
        return ManifestRule(name: name.value, kind: kind, message: message.value, file: file, mark: node.mark)
    }
}

