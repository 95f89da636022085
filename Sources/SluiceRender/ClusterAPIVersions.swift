import SluiceModel
import SluiceYAML

/// `.Capabilities.APIVersions` of a cluster's chart add-ons: Helm's built-in list, then each
/// `group/version` and `group/version/Kind` the CRDs of the cluster's add-ons define (a chart's
/// `crds/` files, its subcharts' too, and the CustomResourceDefinitions native add-ons render),
/// as Helm's list holds them once the CRDs are installed. So a chart's
/// `{{ if .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }}` sees the operator
/// another add-on of the cluster installs.
enum ClusterAPIVersions {
    /// The entries one CRD adds: its served versions, each with and without its kind.
    static func entries(of crd: Value) -> [String] {
        guard crd["kind"]?.stringValue == "CustomResourceDefinition", let spec = crd["spec"]?.mapValue,
              let group = spec["group"]?.stringValue, let kind = spec["names"]?["kind"]?.stringValue else { return [] }
        var names = (spec["versions"]?.listValue ?? []).compactMap { version -> String? in
            if version["served"] == .bool(false) { return nil }
            return version["name"]?.stringValue
        }
        // apiextensions v1beta1 could name one version alone.
        if names.isEmpty, let single = spec["version"]?.stringValue { names = [single] }
        return names.flatMap { ["\(group)/\($0)", "\(group)/\($0)/\(kind)"] }
    }

    /// The CRDs of a chart's `crds/` folders (its own and its subcharts'), as Helm reads them:
    /// YAML documents, never templated.
    static func entries(of chart: HelmChart) -> [String] {
        var out: [String] = []
        for file in chart.crds {
            let documents = (try? YAMLParser().parse(HelmChart.withoutByteOrderMark(file.bytes), file: chart.folder + "/" + file.name)) ?? []
            for document in documents { out += entries(of: Value(document)) }
        }
        return out + chart.subcharts.flatMap { entries(of: $0) }
    }

    /// Whether a native add-on's templates may render a CRD (only those are rendered for it).
    static func mayDefineCRDs(_ addon: Addon) -> Bool {
        addon.templates.contains { $0.text.contains("CustomResourceDefinition") }
    }

    /// `base` (a cluster's discovery, else Helm's list) then the CRDs' entries, each once.
    static func merged(_ extra: [String], base: [String] = HelmDefaults.apiVersions) -> [String] {
        var seen = Set(base)
        var out = base
        for entry in extra where seen.insert(entry).inserted { out.append(entry) }
        return out
    }
}
