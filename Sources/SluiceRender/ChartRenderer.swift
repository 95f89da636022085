import Foundation
import SluiceModel
import SluiceYAML

/// What a chart's templates are told about the release and the cluster (`.Release`,
/// `.Capabilities`), as `helm template` would tell them.
public struct ChartContext: Sendable {
    /// `.Release.Name`: Sluice names a chart add-on's release after the add-on.
    public var releaseName: String
    public var namespace: String
    /// Whether the pair was never applied before (`.Release.IsInstall`; else `IsUpgrade`).
    public var isInstall = true
    public var revision = 1
    /// `.Capabilities.KubeVersion`, with its `v`.
    public var kubeVersion = HelmDefaults.kubeVersion
    public var apiVersions = HelmDefaults.apiVersions
    /// What the random functions of this pair's templates derive from (`ChartRandom.seed`
    /// of the store's render secret, the cluster and the add-on); by default a seed made at
    /// random for this process, so values drawn without a store are never predictable.
    public var randomSeed: [UInt8] = ChartContext.processSeed
    /// What Sprig's `now` is, in seconds since 1970 (UTC): the rendered commit's time, so
    /// that every plan of one commit renders the same dates; by default the time this
    /// process first rendered a chart.
    public var now: Int64 = ChartContext.processStart

    static let processStart = Int64(Date().timeIntervalSince1970)

    /// A pair's seed: the store's render secret, the cluster and the add-on, through HMAC.
    public static func randomSeed(secret: [UInt8], cluster: String, addon: String) -> [UInt8] {
        ChartRandom.seed(secret: secret, cluster: cluster, addon: addon)
    }

    /// Drawn once per process: `sluice validate` and `render` without a store.
    static let processSeed: [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }()

    public init(releaseName: String, namespace: String) {
        self.releaseName = releaseName
        self.namespace = namespace
    }
}

/// What Helm v4 assumes without a cluster (`helm template`): measured with Helm v4.2.3.
public enum HelmDefaults {
    public static let kubeVersion = "v1.36.0"
    public static let helmVersion = "v4.2"
    /// Helm's built-in `.Capabilities.APIVersions` (its DefaultVersionSet), in its order.
    public static let apiVersions = [
        "v1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1alpha1", "admissionregistration.k8s.io/v1beta1",
        "internal.apiserver.k8s.io/v1alpha1", "apps/v1", "apps/v1beta1", "apps/v1beta2", "authentication.k8s.io/v1",
        "authentication.k8s.io/v1alpha1", "authentication.k8s.io/v1beta1", "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1",
        "autoscaling/v1", "autoscaling/v2", "batch/v1", "batch/v1beta1", "certificates.k8s.io/v1", "certificates.k8s.io/v1beta1",
        "certificates.k8s.io/v1alpha1", "coordination.k8s.io/v1alpha2", "coordination.k8s.io/v1beta1", "coordination.k8s.io/v1",
        "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1", "events.k8s.io/v1", "events.k8s.io/v1beta1", "extensions/v1beta1",
        "flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta1", "flowcontrol.apiserver.k8s.io/v1beta2",
        "flowcontrol.apiserver.k8s.io/v1beta3", "networking.k8s.io/v1", "networking.k8s.io/v1beta1", "node.k8s.io/v1",
        "node.k8s.io/v1alpha1", "node.k8s.io/v1beta1", "policy/v1", "policy/v1beta1", "rbac.authorization.k8s.io/v1",
        "rbac.authorization.k8s.io/v1beta1", "rbac.authorization.k8s.io/v1alpha1", "resource.k8s.io/v1", "resource.k8s.io/v1beta2",
        "resource.k8s.io/v1beta1", "resource.k8s.io/v1alpha3", "scheduling.k8s.io/v1alpha2", "scheduling.k8s.io/v1beta1",
        "scheduling.k8s.io/v1", "storage.k8s.io/v1beta1", "storage.k8s.io/v1", "storage.k8s.io/v1alpha1",
        "storagemigration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1",
    ]
}

/// Renders a chart (with its subcharts) as Helm's engine does: one template set, each
/// template run with its own chart's `.Values` (a subchart's are its key of the parent's),
/// `.Chart`, `.Files` and `.Subcharts`, the shared `.Release` and `.Capabilities`, and
/// `.Template` naming it. Parsed once; safe to use from several threads.
public final class ChartRenderer: Sendable {
    public let chart: HelmChart
    public let library: TemplateLibrary
    /// `.Files` of each chart, by its folder: made once, not for every template.
    private let files: [String: Value]
    private let valuesCheck: ChartValuesCheck
    /// Each template's output with what it read, reused for data that reads the same.
    private let memo = ChartTemplateMemo()
    /// Templates whose output came from the memo so far.
    public var memoHits: Int { memo.hits.load(ordering: .relaxed) }
    /// The chart's `kubeVersion` constraint, read once: nil when it has none, `.failure`
    /// when it is not one (an error at each render, as Helm's).
    private let kubeVersionRange: Result<SemverRange, Diagnostic>?

    public init(chart: HelmChart) throws(ValidationFailure) {
        self.chart = chart
        var files: [String: Value] = [:]
        func collectFiles(_ chart: HelmChart) {
            files[chart.folder] = HelmFiles.value(chart.files)
            chart.subcharts.forEach(collectFiles)
        }
        collectFiles(chart)
        self.files = files
        valuesCheck = ChartValuesCheck(chart)
        let required = chart.metadata.kubeVersion
        if required.isEmpty { kubeVersionRange = nil } else if let range = SemverRange(required) { kubeVersionRange = .success(range) } else {
            kubeVersionRange = .failure(Diagnostic(file: chart.folder + "/Chart.yaml", mark: nil, message: "kubeVersion \"\(required)\" is not a version constraint"))
        }
        var templates: [(helmName: String, source: TemplateSource)] = []
        func collect(_ chart: HelmChart, helmPath: String) {
            for source in chart.templates {
                templates.append((helmPath + "/" + String(source.path.dropFirst(chart.folder.count + 1)), source))
            }
            for subchart in chart.subcharts { collect(subchart, helmPath: helmPath + "/charts/" + subchart.name) }
        }
        collect(chart, helmPath: chart.name)
        library = try TemplateLibrary(chartFolder: chart.folder, templates: templates)
    }

    /// One template's output: Helm's name for it (`chart/templates/x.yaml`), its file in the
    /// repository, and its text.
    public struct Output: Sendable, Equatable {
        public var name: String
        public var file: String
        public var text: String
        /// A file of a `crds/` folder: never templated, never pruned, applied first.
        public var isCRD = false
    }

    /// The `crds/` files of the chart and the subcharts its dependencies keep, as they are
    /// (Helm never templates them), then every template that renders (not partials, not
    /// NOTES.txt), in the order of Helm's names. `values`: the user's values (the release's,
    /// then the cluster's), over the chart's; `sources`: where those layers are written, in
    /// the same order, for errors. The coalesced values must meet each `values.schema.json`.
    public func render(values: [String: Value], context: ChartContext, sources: [ValuesSource] = []) throws(Diagnostic) -> [Output] {
        try renderDrawing(values: values, context: context, sources: sources).outputs
    }

    /// `render`, and whether a template drew random values (then the outputs depend on the
    /// context's seed, else not).
    func renderDrawing(values: [String: Value], context: ChartContext, sources: [ValuesSource]) throws(Diagnostic) -> (outputs: [Output], drewRandom: Bool) {
        // `helm install` and `helm template` refuse a chart whose `kubeVersion` the cluster's
        // Kubernetes does not satisfy (the chart itself only, not its subcharts).
        if let kubeVersionRange {
            let range: SemverRange
            switch kubeVersionRange {
            case .success(let parsed): range = parsed
            case .failure(let error): throw error
            }
            guard let running = SemanticVersion(context.kubeVersion), range.isSatisfied(by: running) else {
                throw Diagnostic(file: chart.folder + "/Chart.yaml", mark: nil,
                                 message: "chart requires kubeVersion: \(chart.metadata.kubeVersion) which is incompatible with Kubernetes \(context.kubeVersion)",
                                 code: "chart.kubeVersion")
            }
        }
        let user = HelmYAML.goTyped(.map(values)).mapValue ?? [:]
        let processed: HelmChart
        do { processed = try HelmDependencies.process(chart, values: user) } catch {
            throw Diagnostic(file: chart.folder + "/Chart.yaml", message: "dependency \"\(error.dependency)\" (version \(error.version.isEmpty ? "any" : error.version)) of chart \(error.chart) is not in its charts/ folder: vendor it with `helm dependency build` (nothing is downloaded while rendering)")
        }
        let coalesced: [String: Value]
        do { coalesced = try ValuesMerging.coalesce(processed, user) } catch {
            throw Diagnostic(file: chart.valuesFile ?? chart.folder, message: "values: \(error.path) must be a map: it holds a subchart's values")
        }
        try valuesCheck.check(processed, values: coalesced, sources: sources)
        let shared = Shared(context: context, files: files)
        var outputs: [Output] = []
        var streams: [ChartRandom] = []
        func render(_ chart: HelmChart, values: [String: Value], helmPath: String) throws(Diagnostic) {
            // One chart's data, made once; only `.Template` differs from template to template.
            var data = shared.scope(of: chart, values: values, helmPath: helmPath)
            for source in chart.templates {
                let relative = String(source.path.dropFirst(chart.folder.count + 1))
                let base = relative.split(separator: "/").last ?? ""
                guard !base.hasPrefix("_"), base != "NOTES.txt", let template = library.template(atPath: source.path) else { continue }
                let helmName = helmPath + "/" + relative
                data["Template"] = .map(["Name": .string(helmName), "BasePath": .string(helmPath + "/templates")])
                let root = Value.map(data)
                if let known = memo.text(of: source.path, root: root, now: shared.now) {
                    outputs.append(Output(name: helmName, file: source.path, text: known))
                    continue
                }
                var evaluator = TemplateEvaluator(library: library, file: source.path)
                evaluator.random = ChartRandom(seed: shared.randomSeed, template: helmName)
                evaluator.now = GoTime(seconds: shared.now)
                evaluator.readPaths = []
                streams.append(evaluator.random)
                var text: String
                do { text = try evaluator.render(template, data: root) } catch { throw error.diagnostic }
                if Self.holdsNoValue(text) { text = text.replacingOccurrences(of: "<no value>", with: "") }
                if !evaluator.readCluster, !evaluator.random.drawn {
                    memo.remember(text, of: source.path, paths: evaluator.readPaths ?? [], root: root, now: shared.now)
                }
                outputs.append(Output(name: helmName, file: source.path, text: text))
            }
            for subchart in chart.subcharts {
                try render(subchart, values: values[subchart.name]?.mapValue ?? [:], helmPath: helmPath + "/charts/" + subchart.name)
            }
        }
        try render(processed, values: coalesced, helmPath: processed.name)
        var crds: [Output] = []
        func collectCRDs(_ chart: HelmChart, helmPath: String) {
            for file in chart.crds {
                crds.append(Output(name: helmPath + "/" + file.name, file: chart.folder + "/" + file.name,
                                   text: String(decoding: HelmChart.withoutByteOrderMark(file.bytes), as: UTF8.self), isCRD: true))
            }
            for subchart in chart.subcharts { collectCRDs(subchart, helmPath: helmPath + "/charts/" + subchart.name) }
        }
        collectCRDs(processed, helmPath: processed.name)
        return (crds.sorted { $0.name < $1.name } + outputs.sorted { $0.name < $1.name }, streams.contains { $0.drawn })
    }

    /// Whether the text holds Go's `<no value>` (which Helm removes): a byte search, since
    /// every template's output is searched.
    static func holdsNoValue(_ text: String) -> Bool {
        let needle = Array("<no value>".utf8)
        var found = false
        var text = text
        text.withUTF8 { bytes in
            guard bytes.count >= needle.count else { return }
            var index = 0
            while index <= bytes.count - needle.count {
                if bytes[index] == needle[0] && bytes[index + 1] == needle[1] && bytes[index + 2] == needle[2] {
                    var matches = true
                    for offset in 3..<needle.count where bytes[index + offset] != needle[offset] { matches = false; break }
                    if matches { found = true; return }
                }
                index += 1
            }
        }
        return found
    }

    /// What every template of one render shares.
    private struct Shared {
        let randomSeed: [UInt8]
        let now: Int64
        let release: Value
        let capabilities: Value
        let files: [String: Value]

        init(context: ChartContext, files: [String: Value]) {
            self.files = files
            randomSeed = context.randomSeed
            now = context.now
            release = .map(["Name": .string(context.releaseName), "Namespace": .string(context.namespace), "Service": .string("Helm"),
                            "IsInstall": .bool(context.isInstall), "IsUpgrade": .bool(!context.isInstall), "Revision": .int(context.revision)])
            let version = SemanticVersion(context.kubeVersion)
            let kubeVersion: Value = .map([
                "Version": .string(context.kubeVersion), "GitVersion": .string(context.kubeVersion),
                "Major": .string(version.map { String($0.major) } ?? ""), "Minor": .string(version.map { String($0.minor) } ?? ""),
            ])
            capabilities = .map(["KubeVersion": kubeVersion, "APIVersions": .list(context.apiVersions.map(Value.string)),
                                 "HelmVersion": .map(["Version": .string(HelmDefaults.helmVersion)])])
        }

        /// `.Values`, `.Chart`, `.Files`, `.Subcharts` of one chart, with the shared objects.
        func scope(of chart: HelmChart, values: [String: Value], helmPath: String) -> [String: Value] {
            var subcharts: [String: Value] = [:]
            for subchart in chart.subcharts {
                subcharts[subchart.name] = .map(scope(of: subchart, values: values[subchart.name]?.mapValue ?? [:],
                                                      helmPath: helmPath + "/charts/" + subchart.name))
            }
            return ["Values": .map(values), "Chart": chart.metadata.value, "Files": files[chart.folder] ?? HelmFiles.value(chart.files),
                    "Release": release, "Capabilities": capabilities, "Subcharts": .map(subcharts)]
        }
    }
}
