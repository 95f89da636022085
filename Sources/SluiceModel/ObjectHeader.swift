import SluiceYAML
/// The part every fleet-repo file shares: `apiVersion: sluice.dev/v1`, `kind`, `metadata`, `spec`.
public struct ObjectHeader: Sendable {
    public static let apiVersion = "sluice.dev/v1"
    public static let kinds = ["Fleet", "Addon", "AddonRelease", "Cluster", "Pipeline", "Policy"]

    public var file: String
    public var name: Located<String>
    public var labels: [String: Located<String>]
    public var annotations: [String: Located<String>]

    /// Checks the header and returns it with a reader for `spec` (its fields given).
    static func read(
        _ node: YAMLNode, file: String, sink: DiagnosticSink, kind expected: String, specFields: [String]
    ) -> (ObjectHeader, NodeReader?)? {
        guard let top = NodeReader(node, file: file, sink: sink, path: "",
                                   fields: ["apiVersion", "kind", "metadata", "spec"]) else { return nil }
        if let version = top.string("apiVersion", required: true), version.value != apiVersion {
            sink.error(file, version.mark, "apiVersion must be \"\(apiVersion)\", found \"\(version.value)\"")
        }
        guard let kind = top.string("kind", required: true) else { return nil }
        guard kind.value == expected else {
            let hint = kinds.contains(kind.value) ? "" : Suggestion.hint(for: kind.value, in: kinds)
            sink.error(file, kind.mark, "expected kind \"\(expected)\" in this file, found \"\(kind.value)\"\(hint)")
            return nil
        }
        guard let metadata = top.object("metadata", fields: ["name", "labels", "annotations"], required: true),
              let name = metadata.string("name", required: true) else { return nil }
        if !Names.isDNSLabel(name.value) {
            sink.error(file, name.mark, "metadata.name \"\(name.value)\" must be a DNS label: lowercase letters, digits and '-', at most 63 characters, starting and ending with a letter or digit")
        }
        let labels = metadata.stringMap("labels")
        for (key, value) in labels {
            if let problem = Names.labelProblem(key: key, value: value.value) {
                sink.error(file, value.mark, "label \(key): \(problem)")
            }
        }
        let header = ObjectHeader(file: file, name: name, labels: labels, annotations: metadata.stringMap("annotations"))
        let spec = top.object("spec", fields: specFields, required: !specFields.isEmpty)
        return (header, spec)
    }
}

/// Kubernetes naming rules, so what Sluice accepts the API server accepts too.
public enum Names {
    public static func isDNSLabel(_ s: String) -> Bool {
        guard (1...63).contains(s.utf8.count), let first = s.utf8.first, let last = s.utf8.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (0x61...0x7A).contains(c) || (0x30...0x39).contains(c) }
        return alnum(first) && alnum(last) && s.utf8.allSatisfy { alnum($0) || $0 == 0x2D }
    }

    /// nil when `key: value` is a valid Kubernetes label, else what is wrong.
    public static func labelProblem(key: String, value: String) -> String? {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let name = parts.last, isLabelValue(String(name)), !name.isEmpty else {
            return "key must be [prefix/]name with name of at most 63 characters of [A-Za-z0-9_.-]"
        }
        guard isLabelValue(value) else {
            return "value \"\(value)\" must be at most 63 characters of [A-Za-z0-9_.-], starting and ending alphanumeric"
        }
        return nil
    }

    static func isLabelValue(_ s: String) -> Bool {
        if s.isEmpty { return true }
        guard s.utf8.count <= 63, let first = s.first, let last = s.last,
              first.isLetter || first.isNumber, last.isLetter || last.isNumber else { return false }
        return s.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "_" || $0 == "." }
    }
}
