import Foundation
import SluiceModel
import SluiceRender
import SluiceYAML
import Testing

/// A chart renderer reuses a template's output for data that gives the same at every path
/// the template read, and only then: a value it read, an include's reads, `tpl`, the root
/// used whole, random values, `.Release` and `.Capabilities` all tell renders apart.
@Suite struct ChartTemplateMemoTests {
    static let templates: [String: String] = [
        "a.yaml": "a: {{ .Values.a | quote }}\nname: {{ include \"name\" . }}\n",
        "b.yaml": "b: {{ .Values.b.c | default \"none\" | quote }}\n",
        "all.yaml": "all: {{ toJson .Values | quote }}\n",
        "whole.yaml": "whole: {{ keys . | len }}\n",
        "random.yaml": "r: {{ randAlphaNum 8 | quote }}\n",
        "tpl.yaml": "t: {{ tpl .Values.text . | quote }}\n",
        "release.yaml": "rev: {{ .Release.Revision }}\nkube: {{ .Capabilities.KubeVersion.Version }}\n",
        "with.yaml": "{{ with .Values.b }}{{ include \"name\" $ }}-{{ .c }}{{ end }}\n",
        "_helpers.tpl": "{{ define \"name\" }}{{ .Release.Name }}-{{ .Values.suffix }}{{ end }}\n",
    ]

    func renderer() throws -> ChartRenderer {
        var files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: m\nversion: 1.0.0\n".utf8))]
        for (name, text) in Self.templates { files.append(HelmChart.File(name: "templates/" + name, bytes: Array(text.utf8))) }
        return try ChartRenderer(chart: try #require(HelmChart.load(files, folder: "addons/m", sink: DiagnosticSink())))
    }

    func texts(_ renderer: ChartRenderer, _ values: [String: Value], revision: Int = 1, kube: String = "v1.31.0",
               seed: [UInt8] = [1]) throws -> [String: String] {
        var context = ChartContext(releaseName: "m", namespace: "ns")
        context.revision = revision
        context.kubeVersion = kube
        context.randomSeed = seed
        return Dictionary(uniqueKeysWithValues: try renderer.render(values: values, context: context).map { ($0.file, $0.text) })
    }

    @Test func aTemplateIsReusedOnlyWhereWhatItReadIsTheSame() throws {
        let memo = try renderer(), fresh = { try self.renderer() }
        let base: [String: Value] = ["a": .int(1), "b": .map(["c": .string("x")]), "suffix": .string("s"), "text": .string("{{ .Values.a }}")]
        var variants: [([String: Value], Int, String, [UInt8])] = [(base, 1, "v1.31.0", [1])]
        variants.append((base.merging(["b": .map(["c": .string("y")])]) { $1 }, 1, "v1.31.0", [1]))
        variants.append((base.merging(["a": .int(2)]) { $1 }, 1, "v1.31.0", [1]))
        variants.append((base.merging(["suffix": .string("t")]) { $1 }, 1, "v1.31.0", [1]))
        variants.append((base.merging(["text": .string("{{ .Values.suffix }}")]) { $1 }, 1, "v1.31.0", [1]))
        variants.append((base, 2, "v1.31.0", [1]))
        variants.append((base, 1, "v1.30.2", [2]))
        variants.append((base.merging(["b": .map([:])]) { $1 }, 1, "v1.31.0", [1]))
        variants.append((base, 1, "v1.31.0", [1]))
        for (values, revision, kube, seed) in variants {
            // The shared renderer (with its memo) prints what a renderer of its own prints.
            #expect(try texts(memo, values, revision: revision, kube: kube, seed: seed)
                    == texts(try fresh(), values, revision: revision, kube: kube, seed: seed), "\(values) \(revision) \(kube)")
        }
        // Reused where nothing read changed (b.yaml when only `a` changed, ...), never for
        // the template that used the root whole or drew random values.
        #expect(memo.memoHits >= 20)
        let before = memo.memoHits
        _ = try texts(memo, base)
        // All but whole.yaml (the root used whole) and random.yaml; _helpers.tpl prints nothing.
        #expect(memo.memoHits - before == Self.templates.count - 1 - 2)
    }

    /// A template that reads what differs on every render stops being looked up (it would
    /// never hit); it still renders right, and the others are still reused.
    @Test func aTemplateThatNeverRepeatsIsGivenUpOn() throws {
        let memo = try renderer()
        let base: [String: Value] = ["a": .int(0), "b": .map(["c": .string("x")]), "suffix": .string("s"), "text": .string("t")]
        for index in 0..<40 {
            let values = base.merging(["a": .int(index)]) { $1 }
            let texts = try texts(memo, values)
            #expect(texts["addons/m/templates/a.yaml"] == "a: \"\(index)\"\nname: m-s\n")
        }
        // b.yaml, release.yaml, with.yaml hit on each render after the first.
        #expect(memo.memoHits >= 3 * 39)
    }
}
