import SluiceYAML

/// A chart's `Chart.yaml` (and, for an `apiVersion: v1` chart, the dependencies of its
/// `requirements.yaml`), read as Helm reads it: unknown fields are ignored, each field has
/// Go's zero value when absent, and `value` is the `.Chart` templates see, in Helm's
/// capitalisation (`.Chart.AppVersion`, `.Chart.Maintainers`, ...).
public struct ChartMetadata: Sendable {
    public struct Dependency: Sendable {
        public var name: String
        public var version: String
        public var repository: String
        public var condition: String
        public var tags: [String]
        public var enabled: Bool
        public var importValues: [Value]
        public var alias: String
        public var mark: Mark

        /// The name the parent's values and `.Subcharts` know it by.
        public var effectiveName: String { alias.isEmpty ? name : alias }
    }

    public var apiVersion: String
    public var name: String
    public var version: String
    public var appVersion: String
    public var type: String
    public var kubeVersion: String
    public var dependencies: [Dependency]
    /// `.Chart` as templates see it.
    public var value: Value

    static let stringFields: [(yaml: String, go: String)] = [
        ("name", "Name"), ("home", "Home"), ("version", "Version"), ("description", "Description"), ("icon", "Icon"),
        ("apiVersion", "APIVersion"), ("condition", "Condition"), ("tags", "Tags"), ("appVersion", "AppVersion"),
        ("kubeVersion", "KubeVersion"), ("type", "Type"),
    ]

    /// Reads `Chart.yaml`'s document; problems go to the sink at their place.
    static func read(_ node: YAMLNode, requirements: YAMLNode?, file: String, requirementsFile: String, sink: DiagnosticSink) -> ChartMetadata? {
        guard let pairs = node.mapping else {
            sink.error(file, node.mark, "Chart.yaml must be a mapping, found \(node.kindDescription)")
            return nil
        }
        var fields: [String: YAMLNode] = [:]
        for pair in pairs { if let key = pair.key.scalar?.text { fields[key] = pair.value } }
        let before = sink.count
        func string(_ key: String) -> String {
            guard let child = fields[key], !child.isNull else { return "" }
            guard let scalar = child.scalar else {
                sink.error(file, child.mark, "\(key) must be a string, found \(child.kindDescription)")
                return ""
            }
            return scalar.text
        }
        var value: [String: Value] = [:]
        for field in stringFields { value[field.go] = .string(string(field.yaml)) }
        var apiVersion = string("apiVersion")
        // Helm takes a chart without apiVersion for a v1 chart.
        if apiVersion.isEmpty { apiVersion = "v1" }
        value["APIVersion"] = .string(apiVersion)
        value["Keywords"] = .list(strings(fields["keywords"], what: "keywords", file: file, sink: sink).map(Value.string))
        value["Sources"] = .list(strings(fields["sources"], what: "sources", file: file, sink: sink).map(Value.string))
        value["Deprecated"] = .bool(fields["deprecated"].map { Value($0) == .bool(true) } ?? false)
        var annotations: [String: Value] = [:]
        if let node = fields["annotations"], !node.isNull {
            if let pairs = node.mapping {
                for pair in pairs {
                    guard let key = pair.key.scalar?.text, let text = pair.value.scalar?.text else {
                        sink.error(file, pair.value.mark, "annotations must map strings to strings")
                        continue
                    }
                    annotations[key] = .string(text)
                }
            } else {
                sink.error(file, node.mark, "annotations must be a mapping, found \(node.kindDescription)")
            }
        }
        value["Annotations"] = .map(annotations)
        var maintainers: [Value] = []
        for item in list(fields["maintainers"], what: "maintainers", file: file, sink: sink) {
            guard let pairs = item.mapping else {
                sink.error(file, item.mark, "each maintainer must be a mapping, found \(item.kindDescription)")
                continue
            }
            var entry: [String: Value] = ["Name": .string(""), "Email": .string(""), "URL": .string("")]
            for pair in pairs {
                guard let key = pair.key.scalar?.text, let go = ["name": "Name", "email": "Email", "url": "URL"][key] else { continue }
                entry[go] = .string(pair.value.scalar?.text ?? "")
            }
            maintainers.append(.map(entry))
        }
        value["Maintainers"] = .list(maintainers)

        // A v1 chart lists its dependencies in requirements.yaml; a v2 chart in Chart.yaml.
        var dependencyNodes: [YAMLNode] = []
        var dependencyFile = file
        if apiVersion == "v1", let requirements, let pairs = requirements.mapping {
            dependencyFile = requirementsFile
            dependencyNodes = list(pairs.first { $0.key.scalar?.text == "dependencies" }?.value, what: "dependencies", file: requirementsFile, sink: sink)
        } else {
            dependencyNodes = list(fields["dependencies"], what: "dependencies", file: file, sink: sink)
        }
        let dependencies = dependencyNodes.compactMap { Dependency.read($0, file: dependencyFile, sink: sink) }
        value["Dependencies"] = .list(dependencies.map(\.value))

        var metadata = ChartMetadata(apiVersion: apiVersion, name: string("name"), version: string("version"), appVersion: string("appVersion"),
                                     type: string("type"), kubeVersion: string("kubeVersion"), dependencies: dependencies, value: .map(value))
        metadata.validate(node: node, fields: fields, file: file, sink: sink)
        return sink.count == before ? metadata : nil
    }

    /// Helm's `Metadata.Validate`.
    private mutating func validate(node: YAMLNode, fields: [String: YAMLNode], file: String, sink: DiagnosticSink) {
        func at(_ key: String) -> Mark { fields[key]?.mark ?? node.mark }
        if apiVersion != "v1" && apiVersion != "v2" {
            sink.error(file, at("apiVersion"), "apiVersion \"\(apiVersion)\" is not a chart API version (v1 or v2)")
        }
        if name.isEmpty {
            sink.error(file, node.mark, "missing required field \"name\"")
        } else if name.contains("/") || name.contains("\\") || name == "." || name == ".." {
            sink.error(file, at("name"), "chart name \"\(name)\" is invalid")
        }
        if version.isEmpty {
            sink.error(file, node.mark, "missing required field \"version\"")
        } else if SemanticVersion(version) == nil {
            sink.error(file, at("version"), "version \"\(version)\" is not a semantic version")
        }
        if !type.isEmpty && type != "application" && type != "library" {
            sink.error(file, at("type"), "type \"\(type)\" is neither application nor library")
        }
        var seen = Set<String>()
        for dependency in dependencies where !seen.insert(dependency.effectiveName).inserted {
            sink.error(file, dependency.mark, "more than one dependency with name or alias \"\(dependency.effectiveName)\"")
        }
    }

    static func list(_ node: YAMLNode?, what: String, file: String, sink: DiagnosticSink) -> [YAMLNode] {
        guard let node, !node.isNull else { return [] }
        guard let items = node.sequence else {
            sink.error(file, node.mark, "\(what) must be a list, found \(node.kindDescription)")
            return []
        }
        return items
    }

    static func strings(_ node: YAMLNode?, what: String, file: String, sink: DiagnosticSink) -> [String] {
        list(node, what: what, file: file, sink: sink).compactMap { item in
            guard let text = item.scalar?.text else {
                sink.error(file, item.mark, "\(what) must hold strings, found \(item.kindDescription)")
                return nil
            }
            return text
        }
    }
}

extension ChartMetadata.Dependency {
    static func read(_ node: YAMLNode, file: String, sink: DiagnosticSink) -> ChartMetadata.Dependency? {
        guard let pairs = node.mapping else {
            sink.error(file, node.mark, "each dependency must be a mapping, found \(node.kindDescription)")
            return nil
        }
        var fields: [String: YAMLNode] = [:]
        for pair in pairs { if let key = pair.key.scalar?.text { fields[key] = pair.value } }
        func string(_ key: String) -> String { fields[key]?.scalar.map { $0.text } ?? "" }
        let dependency = ChartMetadata.Dependency(
            name: string("name"), version: string("version"), repository: string("repository"), condition: string("condition"),
            tags: ChartMetadata.strings(fields["tags"], what: "tags", file: file, sink: sink),
            enabled: fields["enabled"].map { Value($0) == .bool(true) } ?? false,
            importValues: ChartMetadata.list(fields["import-values"], what: "import-values", file: file, sink: sink).map(Value.init),
            alias: string("alias"), mark: node.mark)
        if dependency.name.isEmpty {
            sink.error(file, node.mark, "a dependency needs a name")
            return nil
        }
        if !dependency.alias.isEmpty,
           !dependency.alias.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }) {
            sink.error(file, fields["alias"]?.mark ?? node.mark, "dependency alias \"\(dependency.alias)\" may hold only letters, digits, \"_\" and \"-\"")
            return nil
        }
        return dependency
    }

    /// `.Chart.Dependencies[i]` as templates see it.
    var value: Value {
        .map(["Name": .string(name), "Version": .string(version), "Repository": .string(repository), "Condition": .string(condition),
              "Tags": .list(tags.map(Value.string)), "Enabled": .bool(enabled), "ImportValues": .list(importValues), "Alias": .string(alias)])
    }
}

/// A version as Helm's semver library (Masterminds) reads it, leniently: an optional `v`,
/// one to three numbers, then optional `-prerelease` and `+build` of dot-separated
/// alphanumeric identifiers.
public struct SemanticVersion: Sendable, Comparable, CustomStringConvertible {
    public var major: UInt64
    public var minor: UInt64
    public var patch: UInt64
    public var prerelease: [String]
    public var build: String

    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.hasPrefix("v") { rest = rest.dropFirst() }
        var build = ""
        if let plus = rest.firstIndex(of: "+") {
            build = String(rest[rest.index(after: plus)...])
            rest = rest[..<plus]
            guard Self.identifiers(build) != nil else { return nil }
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            guard let parts = Self.identifiers(rest[rest.index(after: dash)...]) else { return nil }
            prerelease = parts
            rest = rest[..<dash]
        }
        let numbers = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...3).contains(numbers.count) else { return nil }
        var parsed: [UInt64] = []
        for number in numbers {
            guard !number.isEmpty, number.allSatisfy(\.isASCII), let value = UInt64(number) else { return nil }
            // Masterminds refuses leading zeros in a number, as SemVer does.
            if number.count > 1 && number.hasPrefix("0") { return nil }
            parsed.append(value)
        }
        while parsed.count < 3 { parsed.append(0) }
        (major, minor, patch) = (parsed[0], parsed[1], parsed[2])
        self.prerelease = prerelease
        self.build = build
    }

    /// Masterminds' `String()`: the numbers, then `-prerelease` and `+build` when present.
    public var description: String {
        "\(major).\(minor).\(patch)" + (prerelease.isEmpty ? "" : "-" + prerelease.joined(separator: ".")) + (build.isEmpty ? "" : "+" + build)
    }

    private static func identifiers(_ text: Substring) -> [String]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard !parts.isEmpty, parts.allSatisfy({ part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        }) else { return nil }
        return parts.map(String.init)
    }

    private static func identifiers(_ text: String) -> [String]? { identifiers(Substring(text)) }

    /// SemVer precedence: numbers, then a release above its prereleases, then prerelease
    /// identifiers (numeric ones numerically, below alphanumeric ones); build is ignored.
    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
        if a.prerelease.isEmpty != b.prerelease.isEmpty { return !a.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (UInt64(x), UInt64(y)) {
            case let (m?, n?): return m < n
            case (.some, nil): return true
            case (nil, .some): return false
            default: return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }

    public static func == (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) == (b.major, b.minor, b.patch) && a.prerelease == b.prerelease
    }
}
