import Foundation
import SluiceModel
@testable import SluicePlan
import SluiceRender
import SluiceYAML
import Testing

/// A chart's `crds/`: read as they are (never templated), given before its templates, marked
/// `helm.sh/resource-policy: keep`; an object so marked is never pruned.
@Suite struct ChartCRDTests {
    static let crd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.example.com}
        spec:
          group: example.com
          names: {kind: Widget, plural: widgets}
          scope: Namespaced
          versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, description: "{{ not templated }}"}}}]
        """

    @Test func crdsAreGivenFirstAsTheyAre() throws {
        let files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: widgets\nversion: 1.0.0\n".utf8)),
                     HelmChart.File(name: "crds/widgets.yaml", bytes: Array(Self.crd.utf8)),
                     HelmChart.File(name: "crds/README.md", bytes: Array("not a manifest".utf8)),
                     HelmChart.File(name: "templates/widget.yaml", bytes: Array("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: {{ .Release.Name }}}\n".utf8))]
        let sink = DiagnosticSink()
        let chart = try #require(HelmChart.load(files, folder: "addons/widgets", sink: sink))
        let outputs = try ChartRenderer(chart: chart).render(values: [:], context: ChartContext(releaseName: "w", namespace: "ns"))
        #expect(outputs.map(\.name) == ["widgets/crds/widgets.yaml", "widgets/templates/widget.yaml"])
        #expect(outputs[0].isCRD && outputs[0].text.contains("{{ not templated }}") && outputs[0].file == "addons/widgets/crds/widgets.yaml")
    }

    @Test func anObjectHelmKeepsIsNeverPruned() {
        let differ = PairDiffer(rules: DangerousFieldGuard(rules: []), sensitive: SensitiveValues(fields: []), commit: "abc")
        func live(_ name: String, keep: Bool) -> Value {
            var annotations: [String: Value] = [:]
            if keep { annotations[FleetRenderer.resourcePolicy] = .string("keep") }
            return .map(["apiVersion": .string("v1"), "kind": .string("ConfigMap"),
                         "metadata": .map(["name": .string(name), "namespace": .string("ns"), "annotations": .map(annotations),
                                           "labels": .map([SluiceLabels.addon: .string("widgets"), SluiceLabels.managedBy: .string("sluice")])])])
        }
        let kept = ObjectKey(group: "", kind: "ConfigMap", namespace: "ns", name: "kept")
        let gone = ObjectKey(group: "", kind: "ConfigMap", namespace: "ns", name: "gone")
        let objects = [kept: live("kept", keep: true), gone: live("gone", keep: false)]
        // Both were applied by Sluice (their last-applied spec), neither is rendered now.
        let result = differ.diff(addon: "widgets", recordedCommit: "old", target: [], lastApplied: objects, live: objects, warnings: [])
        #expect(result.steps.map(\.key) == [gone])
        #expect(result.plan.warnings.contains { $0.contains("kept (helm.sh/resource-policy: keep)") })
    }
}
