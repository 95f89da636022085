import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// Upstream charts rendered through Sluice's engine in Helm's dialect, object for object
/// against what Helm v4.2.3 rendered (`../shared/helm/expected`).
@Suite struct ChartRenderTests {
    static func chart(_ name: String) throws -> HelmChart {
        try FleetLoader().chart(in: try DirectoryTree(root: ProjectPaths.sharedHelm + "/charts"), folder: name)
    }

    /// The objects of a YAML stream, by kind, namespace and name.
    static func objects(_ text: String, file: String) throws -> [String: Value] {
        var objects: [String: Value] = [:]
        for document in try YAMLParser().parse(Array(text.utf8), file: file) where !document.isNull {
            let object = Value(document)
            guard case .map(let map) = object, !map.isEmpty else { continue }
            let metadata = map["metadata"]?.mapValue ?? [:]
            let key = "\(map["kind"]?.stringValue ?? "")/\(metadata["namespace"]?.stringValue ?? "")/\(metadata["name"]?.stringValue ?? "")"
            objects[key] = object
        }
        return objects
    }

    /// Renders a chart with a values file of its `ci/` folder (nil: its own values) and
    /// compares with Helm's output.
    func expectSameAsHelm(_ name: String, variant: String) throws {
        let chart = try Self.chart(name)
        var values: [String: Value] = [:]
        if variant != "default" {
            let path = ProjectPaths.sharedHelm + "/charts/\(name)/ci/\(variant).yaml"
            let document = try YAMLParser().parseSingle(Array(try Data(contentsOf: URL(fileURLWithPath: path))), file: path)
            values = HelmYAML.value(document).mapValue ?? [:]
        }
        let outputs = try ChartRenderer(chart: chart).render(values: values, context: ChartContext(releaseName: name, namespace: "kube-system"))
        var rendered: [String: Value] = [:]
        for output in outputs { rendered.merge(try Self.objects(output.text, file: output.name)) { a, _ in a } }
        let expectedPath = ProjectPaths.sharedHelm + "/expected/\(name)/\(variant).yaml"
        let expected = try Self.objects(String(decoding: try Data(contentsOf: URL(fileURLWithPath: expectedPath)), as: UTF8.self), file: expectedPath)
        #expect(expected.count >= 3)
        #expect(Set(rendered.keys) == Set(expected.keys), "objects: only Sluice \(Set(rendered.keys).subtracting(expected.keys).sorted()), only Helm \(Set(expected.keys).subtracting(rendered.keys).sorted())")
        for (key, object) in expected.sorted(by: { $0.key < $1.key }) {
            guard let ours = rendered[key] else { continue }
            #expect(ours == object, "\(name) \(variant): \(key) differs:\nSluice: \(JSONEmitter.emit(ours))\nHelm:   \(JSONEmitter.emit(object))")
        }
    }

    @Test(arguments: [
        ("metrics-server", "default"), ("metrics-server", "ci-values"), ("metrics-server", "tls-certManager-values"),
        ("metrics-server", "tls-existingSecret-values"), ("node-problem-detector", "default"), ("fluent-bit", "default"),
        ("fluent-bit", "ci-values"), ("ingress-nginx", "default"), ("ingress-nginx", "admission-webhooks-cert-manager-values"),
        ("ingress-nginx", "controller-configmap-addheaders-values"), ("ingress-nginx", "controller-configmap-proxyheaders-values"),
        ("ingress-nginx", "controller-configmap-values"),
    ] as [(String, String)])
    func upstreamChartsRenderAsHelmRendersThem(chart: String, variant: String) throws { try expectSameAsHelm(chart, variant: variant) }

    /// example-repo's own chart (a subchart turned on and off, a hook, a schema, `global`)
    /// renders object for object as real Helm renders it, hooks included (`helm template`
    /// prints them too).
    @Test(arguments: ["image: {tag: v1.7}", "{image: {tag: v1.6}, dashboards: {enabled: false}, replicas: 2, global: {team: storage}}"])
    func exampleReposChartRendersAsHelmRendersIt(yaml: String) throws {
        let values = HelmYAML.value(try YAMLParser().parseSingle(Array(yaml.utf8), file: "values.yaml"))
        let folder = ProjectPaths.exampleRepo + "/addons"
        let chart = try FleetLoader().chart(in: try DirectoryTree(root: folder), folder: "event-exporter")
        let outputs = try ChartRenderer(chart: chart).render(values: values.mapValue ?? [:], context: ChartContext(releaseName: "event-exporter", namespace: "kube-system"))
        var ours: [String: Value] = [:]
        for output in outputs { ours.merge(try Self.objects(output.text, file: output.name)) { a, _ in a } }
        let answer = try RealHelm.render([RealHelm.Request(chartFolder: folder + "/event-exporter", values: values, name: "event-exporter")])[0]
        let helmOutputs = try #require(answer["outputs"]?.mapValue, "Helm refused: \(answer)")
        var theirs: [String: Value] = [:]
        for (name, text) in helmOutputs { theirs.merge(try Self.objects(text.stringValue ?? "", file: name)) { a, _ in a } }
        #expect(theirs.keys.contains("Job//event-exporter-config-check"))
        #expect(theirs.keys.contains("ConfigMap//event-exporter-dashboard") == (values["dashboards"]?["enabled"] != .bool(false)))
        #expect(ours == theirs)
    }

    /// The comparison is not vacuous: a value changed shows in the object it reaches, and
    /// only there; `.Release` and `.Capabilities` reach the templates.
    @Test func valuesReleaseAndCapabilitiesReachTheObjects() throws {
        let renderer = try ChartRenderer(chart: try Self.chart("metrics-server"))
        var context = ChartContext(releaseName: "ms", namespace: "monitoring")
        context.kubeVersion = "v1.20.4"
        let values: [String: Value] = ["replicas": .int(3), "podDisruptionBudget": .map(["enabled": .bool(true), "minAvailable": .int(1)])]
        func objects(_ outputs: [ChartRenderer.Output]) throws -> [String: Value] {
            var objects: [String: Value] = [:]
            for output in outputs { objects.merge(try Self.objects(output.text, file: output.name)) { a, _ in a } }
            return objects
        }
        let outputs = try renderer.render(values: values, context: context)
        let old = try objects(outputs)
        let deployment = try #require(old["Deployment/monitoring/ms-metrics-server"])
        #expect(deployment["spec"]?["replicas"] == .int(3))
        #expect(deployment["metadata"]?["labels"]?["app.kubernetes.io/instance"] == .string("ms"))
        // Below Kubernetes 1.21 the chart picks policy/v1beta1 for its budget (semverCompare on .Capabilities).
        #expect(old["PodDisruptionBudget/monitoring/ms-metrics-server"]?["apiVersion"] == .string("policy/v1beta1"))
        let current = try objects(try renderer.render(values: values, context: ChartContext(releaseName: "ms", namespace: "monitoring")))
        #expect(current["PodDisruptionBudget/monitoring/ms-metrics-server"]?["apiVersion"] == .string("policy/v1"))
        #expect(outputs.allSatisfy { !$0.text.contains("<no value>") })
        #expect(outputs.contains { $0.name == "metrics-server/templates/deployment.yaml" })
        #expect(!outputs.contains { $0.name.hasSuffix("NOTES.txt") || $0.name.hasSuffix("_helpers.tpl") })
    }
}
