import Foundation
import SluiceModel
import SluiceYAML
import Synchronization

/// Renders add-ons for clusters. Each add-on's templates are parsed once at construction;
/// rendering a (cluster, add-on) pair then only evaluates them and parses the output, and
/// reuses what does not depend on the cluster: whole template outputs (TemplateOutputMemo)
/// and pipeline values (ActionMemo).
/// Safe to use from several threads: it holds only immutable data.
public final class FleetRenderer: Sendable {
    public let repository: FleetRepository
    /// The value of the `sluice.dev/commit` annotation (the commit SHA, or `worktree`).
    public let commitLabel: String
    /// Parsed templates of the add-ons parsed at construction.
    private let libraries: [String: TemplateLibrary]
    private let renderSecret: [UInt8]
    /// Add-ons parsed on first render (see `init(repository:reusing:parsing:)`).
    private let parsedLater = Mutex<[String: Result<TemplateLibrary, ValidationFailure>]>([:])
    /// Chart add-ons' parsed charts, made on first render.
    private let charts = Mutex<[String: Result<ChartRenderer, ValidationFailure>]>([:])
    /// `.Capabilities.APIVersions` by cluster (`ClusterAPIVersions`), made on first use, with
    /// the generation of what the cluster told (`ClusterFacts`) they were made from.
    private let apiVersions = Mutex<[String: (told: Int, versions: [String])]>([:])
    /// What clusters said of themselves (`learn`), shared with the renderers that reuse this
    /// one, so a recorded commit's last-applied spec renders with the same capabilities.
    private let capabilities: ClusterFacts

    final class ClusterFacts: Sendable {
        /// Each cluster's answer and a count of its changes, by which renderers' caches see
        /// that what they made is out of date.
        let known = Mutex<[String: (capabilities: ClusterCapabilities, generation: Int)]>([:])
    }
    /// The entries of each chart add-on's `crds/` files, read once (not per cluster).
    private let chartCRDEntries = Mutex<[String: [String]]>([:])
    /// The CRD entries of native add-ons that may define CRDs, by `cluster/addon`, kept as they
    /// render: a cluster's chart add-ons need them for `.Capabilities.APIVersions`, and its
    /// native add-ons (earlier in dependency order) were usually just rendered.
    private let nativeCRDEntries = Mutex<[String: [String]]>([:])
    /// The native add-ons whose CRD entries are kept as they render: those that may define
    /// CRDs, in a fleet that has chart add-ons at all (decided once, not per pair).
    private let keepsCRDEntries: Set<String>
    /// The renderer whose parsed templates are reused where an add-on's templates are equal.
    private let other: FleetRenderer?
    private let parseCache = ManifestParseCache()
    private let outputMemo = TemplateOutputMemo()
    /// A chart add-on's outputs by everything they depend on but the random seed: clusters
    /// with the same values (most clusters of a release) render the chart once. Outputs that
    /// drew random values are never kept (they are the pair's own).
    private let chartOutputs = ShardedCache<ChartOutputKey, [ChartRenderer.Output]>(capacity: 10_000)

    struct ChartOutputKey: Hashable, Sendable {
        let addon: String
        let values: [String: Value]
        let kubeVersion: String
        let apiVersions: [String]
        let isInstall: Bool
        let revision: Int
        /// `now` (the commit's time): a renderer reused for another commit renders its own dates.
        let now: Int64
    }
    private let actionMemo = ActionMemo()
    /// `.Cluster` of each cluster, built once rather than for each of its add-ons.
    private let clusterData: [String: Value]
    private let renders = Atomic<Int>(0)

    /// How many (cluster, add-on) pairs this renderer has rendered: tests of incremental
    /// planning count them.
    public var renderCount: Int { renders.load(ordering: .relaxed) }

    /// Parses every add-on's templates, or those named by `parsing` (the others are parsed
    /// on first render: a caller that knows their templates parsed before, unchanged, need not
    /// wait for them); all syntax errors of what is parsed here are reported together. An
    /// add-on whose templates are those `reusing` has (the same add-on at another commit)
    /// takes its parsed templates instead.
    /// `renderSecret`: the state store's (`AppliedRecordSource.renderSecret`), from which chart
    /// add-ons' random functions draw; without one, `other`'s, else one made for this process.
    public init(repository: FleetRepository, reusing other: FleetRenderer? = nil, parsing: Set<String>? = nil,
                renderSecret: [UInt8]? = nil) throws(ValidationFailure) {
        self.repository = repository
        self.other = other
        capabilities = other?.capabilities ?? ClusterFacts()
        self.renderSecret = renderSecret ?? other?.renderSecret ?? ChartContext.processSeed
        commitLabel = repository.commit?.hex ?? "worktree"
        // Add-ons parse independently: on every core, in name order for stable diagnostics.
        // Chart add-ons parse on first render, in Helm's dialect (`ChartRenderer`).
        let addons = repository.addons.filter { (parsing?.contains($0.key) ?? true) && $0.value.chart == nil }.sorted { $0.key < $1.key }
        let parsed = ParallelMap.map(addons.count, parallelism: ProcessInfo.processInfo.activeProcessorCount) { index in
            Self.parse(addons[index].value, reusing: other)
        }
        var libraries: [String: TemplateLibrary] = [:]
        var problems: [Diagnostic] = []
        for ((name, _), result) in zip(addons, parsed) {
            switch result {
            case .success(let library): libraries[name] = library
            case .failure(let failure): problems += failure.diagnostics
            }
        }
        guard problems.isEmpty else { throw ValidationFailure(problems) }
        self.libraries = libraries
        clusterData = repository.clusters.mapValues { Self.clusterValue($0, in: repository) }
        keepsCRDEntries = repository.addons.values.contains { $0.chart != nil }
            ? Set(repository.addons.values.filter { $0.chart == nil && ClusterAPIVersions.mayDefineCRDs($0) }.map(\.name)) : []
    }

    private static func clusterValue(_ cluster: Cluster, in repository: FleetRepository) -> Value {
        .map(["name": .string(cluster.name), "labels": .map(cluster.labels.mapValues(Value.string)),
              "environment": .string(repository.environment(of: cluster)?.name.value ?? "")])
    }

    /// The data a template sees (DESIGN §1): `.Values`, `.Images`, `.Release`, `.Cluster`, `.Addon`.
    public func templateData(cluster: Cluster, addon: Addon) -> Value {
        let release = repository.releases[cluster.release.value]
        let entry = release?.entry(for: addon.name)
        var values = addon.values
        if let override = cluster.addonValues[addon.name] { values = ValuesMerge.merge(values, override.value) }
        let images = (entry?.images ?? [:]).mapValues { Value.string($0.value) }
        return .map([
            "Values": values,
            "Images": .map(images),
            "Release": .map(["name": .string(release?.name ?? ""), "version": .string(release?.version.value ?? "")]),
            "Cluster": clusterData[cluster.name] ?? Self.clusterValue(cluster, in: repository),
            "Addon": .map(["name": .string(addon.name), "namespace": .string(addon.namespace.value),
                           "version": .string(entry?.version.value ?? "")]),
        ])
    }

    /// Renders one add-on for one cluster.
    /// `upgrade`: whether the pair was applied before (a record exists), which a chart add-on
    /// sees as `.Release.IsUpgrade` (else `.Release.IsInstall`); native add-ons ignore it, and
    /// `revision` (`.Release.Revision`).
    public func render(cluster clusterName: String, addon addonName: String, upgrade: Bool = false, revision: Int = 1) throws(Diagnostic) -> RenderedAddon {
        guard let cluster = repository.clusters[clusterName] else {
            throw Diagnostic(message: "no cluster named \"\(clusterName)\"\(Suggestion.hint(for: clusterName, in: repository.clusters.keys))")
        }
        guard let addon = repository.addons[addonName] else {
            throw Diagnostic(message: "no add-on named \"\(addonName)\"\(Suggestion.hint(for: addonName, in: repository.addons.keys))")
        }
        if let chart = addon.chart { return try renderChart(chart, cluster: cluster, addon: addon, upgrade: upgrade, revision: revision) }
        guard let library = try library(of: addon) else {
            throw Diagnostic(message: "no add-on named \"\(addonName)\"\(Suggestion.hint(for: addonName, in: repository.addons.keys))")
        }
        renders.add(1, ordering: .relaxed)
        let data = templateData(cluster: cluster, addon: addon)
        // A cluster that does not override the add-on's values sees, apart from `.Cluster`,
        // what every such cluster of its release sees, so it may reuse their work.
        let sharesValues = cluster.addonValues[addon.name] == nil
        var objects: [RenderedObject] = []
        var seen: [ObjectKey: String] = [:]
        var outputs: [(file: String, text: String)] = []
        var bytes = 0
        for template in library.manifests {
            let output = try render(template, of: library, addon: addon, release: cluster.release.value,
                                    data: data, sharesValues: sharesValues)
            bytes += output.text.utf8.count
            guard bytes <= RenderLimits.pairOutputBytes else {
                // The template whose output passed the limit of the pair, as a whole.
                throw Diagnostic(file: template.file, message: "the add-on's templates render more than \(RenderLimits.pairOutputBytes >> 20) MiB for cluster \(clusterName) (the limit of one add-on on one cluster)",
                                 code: "limit.pairOutputBytes")
            }
            outputs.append((template.file, output.text))
            for (mark, object) in output.objects {
                if let other = seen[object.key] {
                    throw Diagnostic(file: template.file, mark: mark, message: "object \(object.key) is rendered twice (also by \(other))")
                }
                seen[object.key] = template.file
                objects.append(object)
            }
        }
        if keepsCRDEntries.contains(addonName) {
            let entries = objects.filter { $0.key.kind == "CustomResourceDefinition" }.flatMap { ClusterAPIVersions.entries(of: $0.object) }
            nativeCRDEntries.withLock { $0["\(clusterName)/\(addonName)"] = entries }
        }
        return RenderedAddon(cluster: clusterName, addon: addonName, objects: objects, digest: Self.digest(addon: addon, outputs: outputs))
    }

    /// Helm's annotation for an object a release keeps when it no longer renders it.
    public static let resourcePolicy = "helm.sh/resource-policy"

    /// A chart add-on on one cluster: the chart's values under the release entry's `values`
    /// under the cluster's `spec.addons.<name>` (as Helm takes `-f` files, the later winning),
    /// rendered as `helm template` renders it, then finished as any add-on's objects.
    private func renderChart(_ chart: HelmChart, cluster: Cluster, addon: Addon, upgrade: Bool, revision: Int) throws(Diagnostic) -> RenderedAddon {
        renders.add(1, ordering: .relaxed)
        let renderer = try chartRenderer(of: addon, chart: chart)
        var sources: [ValuesSource] = []
        if let release = repository.releases[cluster.release.value], let entry = release.entry(for: addon.name)?.values {
            sources.append(ValuesSource(file: release.header.file, mark: entry.mark, values: entry.value.mapValue ?? [:]))
        }
        if let override = cluster.addonValues[addon.name] {
            sources.append(ValuesSource(file: cluster.header.file, mark: override.mark, values: override.value.mapValue ?? [:]))
        }
        let values = sources.reduce(into: [String: Value]()) { $0 = ValuesMerging.mergeMaps($0, $1.values) }
        var context = ChartContext(releaseName: addon.name, namespace: addon.namespace.value)
        context.randomSeed = ChartRandom.seed(secret: renderSecret, cluster: cluster.name, addon: addon.name)
        context.isInstall = !upgrade
        context.revision = revision
        if let time = repository.commitTime { context.now = time }
        let told = capabilities.known.withLock { $0[cluster.name] }
        context.apiVersions = apiVersions(of: cluster, served: told?.capabilities.apiVersions, generation: told?.generation ?? 0)
        // The meta-config's version wins over the one the cluster tells.
        if let version = cluster.kubernetesVersion?.value ?? told?.capabilities.kubeVersion { context.kubeVersion = version }
        let key = ChartOutputKey(addon: addon.name, values: values, kubeVersion: context.kubeVersion, apiVersions: context.apiVersions,
                                 isInstall: context.isInstall, revision: revision, now: context.now)
        let hash = key.hashValue
        let outputs: [ChartRenderer.Output]
        if let known = chartOutputs.entry(key, hash: hash) {
            outputs = known
        } else {
            let (made, drewRandom) = try renderer.renderDrawing(values: values, context: context, sources: sources)
            // Kept when seen a second time: values only one cluster has cost 8 bytes, not a render.
            if !drewRandom { chartOutputs.store(made, for: key, hash: hash, secondSighting: true) }
            outputs = made
        }
        var objects: [RenderedObject] = []
        var seen: [ObjectKey: String] = [:]
        var bytes = 0
        for output in outputs {
            bytes += output.text.utf8.count
            guard bytes <= RenderLimits.pairOutputBytes else {
                throw Diagnostic(file: output.file, message: "the add-on's templates render more than \(RenderLimits.pairOutputBytes >> 20) MiB for cluster \(cluster.name) (the limit of one add-on on one cluster)",
                                 code: "limit.pairOutputBytes")
            }
            for parsed in try parseCache.parse(output.text, template: output.file) {
                var object = try finish(parsed, addon: addon, template: output.file)
                object.helmSource = output.name
                if !output.isCRD, case .map(let annotations)? = parsed.object["metadata"]?["annotations"] {
                    switch ChartHook.declaration(in: annotations) {
                    case .none: break
                    case .hook(let hook): object.hook = hook
                    // Helm leaves it out of the release altogether.
                    case .unknownEvent: continue
                    }
                }
                // A chart's CRDs are Helm's to install and never to delete: kept when they leave.
                if output.isCRD { object.object.set(["metadata", "annotations", Self.resourcePolicy], to: .string("keep")) }
                if let other = seen[object.key] {
                    throw Diagnostic(file: output.file, mark: parsed.mark, message: "object \(object.key) is rendered twice (also by \(other))")
                }
                seen[object.key] = output.file
                objects.append(object)
            }
        }
        return RenderedAddon(cluster: cluster.name, addon: addon.name, objects: objects,
                             digest: Self.digest(addon: addon, outputs: outputs.map { ($0.file, $0.text) }))
    }

    /// What a cluster said of itself (`ClusterDriver.capabilities`): its chart add-ons'
    /// `.Capabilities` are its own from here on (`spec.kubernetesVersion` still wins).
    public func learn(_ told: ClusterCapabilities, cluster: String) {
        capabilities.known.withLock { known in
            guard let before = known[cluster] else { known[cluster] = (told, 1); return }
            if before.capabilities != told { known[cluster] = (told, before.generation + 1) }
        }
    }

    /// `served` (the cluster's discovery, else Helm's built-in list) plus the API versions of
    /// the CRDs the cluster's add-ons define. A native add-on that does not render is left
    /// out here: its own pair reports the error, and a commit with an error is never applied.
    private func apiVersions(of cluster: Cluster, served: [String]?, generation: Int) -> [String] {
        if let known = apiVersions.withLock({ $0[cluster.name] }), known.told == generation { return known.versions }
        var extra: [String] = []
        for name in repository.installedAddons(of: cluster) {
            guard let addon = repository.addons[name] else { continue }
            if let chart = addon.chart {
                if let known = chartCRDEntries.withLock({ $0[name] }) { extra += known } else {
                    let entries = ClusterAPIVersions.entries(of: chart)
                    chartCRDEntries.withLock { $0[name] = entries }
                    extra += entries
                }
            } else if ClusterAPIVersions.mayDefineCRDs(addon) {
                if let known = nativeCRDEntries.withLock({ $0["\(cluster.name)/\(name)"] }) {
                    extra += known
                } else if let rendered = try? render(cluster: cluster.name, addon: name) {
                    for object in rendered.objects where object.key.kind == "CustomResourceDefinition" {
                        extra += ClusterAPIVersions.entries(of: object.object)
                    }
                }
            }
        }
        let versions = ClusterAPIVersions.merged(extra, base: served ?? HelmDefaults.apiVersions)
        apiVersions.withLock { $0[cluster.name] = (generation, versions) }
        return versions
    }

    private func chartRenderer(of addon: Addon, chart: HelmChart) throws(Diagnostic) -> ChartRenderer {
        let result = charts.withLock { charts in
            if let known = charts[addon.name] { return known }
            let made = Result { () throws(ValidationFailure) in try ChartRenderer(chart: chart) }
            charts[addon.name] = made
            return made
        }
        switch result {
        case .success(let renderer): return renderer
        case .failure(let failure): throw failure.diagnostics.first ?? Diagnostic(file: addon.folder, message: "the chart's templates do not parse")
        }
    }

    /// The add-on's parsed templates: parsed at construction, reused from `other`, or parsed
    /// now (once); a syntax error is thrown as the first of its diagnostics.
    private func library(of addon: Addon) throws(Diagnostic) -> TemplateLibrary? {
        if let parsed = libraries[addon.name] { return parsed }
        let result = parsedLater.withLock { later in
            if let known = later[addon.name] { return known }
            let parsed = Self.parse(addon, reusing: other)
            later[addon.name] = parsed
            return parsed
        }
        switch result {
        case .success(let library): return library
        case .failure(let failure): throw failure.diagnostics.first ?? Diagnostic(file: addon.folder, message: "templates do not parse")
        }
    }

    private static func parse(_ addon: Addon, reusing other: FleetRenderer?) -> Result<TemplateLibrary, ValidationFailure> {
        if let other, let theirs = other.repository.addons[addon.name], theirs.templates == addon.templates, theirs.folder == addon.folder,
           let reused = try? other.library(of: theirs) {
            return .success(reused)
        }
        return Result { () throws(ValidationFailure) in try TemplateLibrary(folder: addon.folder, sources: addon.templates) }
    }

    /// One template's finished objects, from the memo where the cluster shares the values.
    private func render(_ template: ParsedTemplate, of library: TemplateLibrary, addon: Addon, release: String,
                        data: Value, sharesValues: Bool) throws(Diagnostic) -> TemplateOutputMemo.Output {
        let memoKey = TemplateOutputMemo.Key(release: release, addon: addon.name, template: template.file)
        let remembered = sharesValues ? outputMemo.entry(for: memoKey) : nil
        if case .constant(let output)? = remembered { return output }
        var evaluator = TemplateEvaluator(library: library, file: template.file,
                                          memo: sharesValues ? (actionMemo, release) : nil)
        let text: String
        var newPlan: TemplatePlan?
        do {
            if case .plan(let plan)? = remembered {
                text = try evaluator.render(plan, of: template, data: data)
            } else if sharesValues {
                (text, newPlan) = try evaluator.renderPlan(template, data: data)
            } else {
                text = try evaluator.render(template, data: data)
            }
        } catch {
            throw error.diagnostic
        }
        var finished: [(mark: Mark, object: RenderedObject)] = []
        for parsed in try parseCache.parse(text, template: template.file) {
            finished.append((parsed.mark, try finish(parsed, addon: addon, template: template.file)))
        }
        let output = TemplateOutputMemo.Output(text: text, objects: finished)
        if let newPlan {
            outputMemo.remember(newPlan.isConstant ? .constant(output) : .plan(newPlan), for: memoKey)
        }
        return output
    }

    /// What the objects are made from: the add-on's identity and every template's output.
    static func digest(addon: Addon, outputs: [(file: String, text: String)]) -> String {
        var input = Array("\(addon.name)\n\(addon.namespace.value)\n".utf8)
        input.reserveCapacity(outputs.reduce(input.count) { $0 + $1.file.utf8.count + $1.text.utf8.count + 2 })
        for output in outputs {
            input += output.file.utf8
            input.append(0)
            input += output.text.utf8
            input.append(0)
        }
        return SHA256Digest.hex(input)
    }

    /// Adds Sluice's labels and annotation and the add-on's namespace where none is set.
    private func finish(
        _ parsed: (apiVersion: String, kind: String, object: [String: Value], mark: Mark),
        addon: Addon, template: String
    ) throws(Diagnostic) -> RenderedObject {
        var object = parsed.object
        guard case .map(var metadata)? = object["metadata"], case .string(let name)? = metadata["name"], !name.isEmpty else {
            throw Diagnostic(file: template, mark: parsed.mark, message: "rendered output: \(parsed.kind) has no metadata.name")
        }
        let group = parsed.apiVersion.utf8.contains(UInt8(ascii: "/")) ? String(parsed.apiVersion.split(separator: "/")[0]) : ""
        var namespace = metadata["namespace"]?.stringValue ?? ""
        if namespace.isEmpty && !ClusterScopedKinds.contains(group: group, kind: parsed.kind) {
            namespace = addon.namespace.value
            metadata["namespace"] = .string(namespace)
        }
        var labels = metadata["labels"]?.mapValue ?? [:]
        labels[SluiceLabels.managedBy] = .string("sluice")
        labels[SluiceLabels.addon] = .string(addon.name)
        metadata["labels"] = .map(labels)
        var annotations = metadata["annotations"]?.mapValue ?? [:]
        annotations[SluiceLabels.commit] = .string(commitLabel)
        metadata["annotations"] = .map(annotations)
        object["metadata"] = .map(metadata)
        let key = ObjectKey(group: group, kind: parsed.kind, namespace: namespace, name: name)
        return RenderedObject(key: key, apiVersion: parsed.apiVersion, object: .map(object), template: template)
    }
}

/// Kinds that live outside namespaces, so Sluice does not give them the add-on's namespace.
public enum ClusterScopedKinds {
    static let kinds: Set<String> = [
        "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
        "StorageClass", "CSIDriver", "CSINode", "PriorityClass", "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration", "APIService", "RuntimeClass", "IngressClass", "ClusterIssuer",
        "VolumeSnapshotClass", "PodSecurityPolicy", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
        "FlowSchema", "PriorityLevelConfiguration", "CertificateSigningRequest",
    ]

    public static func contains(group: String, kind: String) -> Bool { kinds.contains(kind) }
}
