import Foundation
import SluiceGit
import SluiceModel
@testable import SluiceRender
import SluiceTestSupport
import Testing

/// Rendering reuses what does not depend on the cluster (TemplateOutputMemo, TemplatePlan,
/// ActionMemo). Whatever a template does with `.Cluster`, directly or through `$`,
/// includes, variables, `with` or whole-root functions, the result on every cluster must be
/// the same as a plain evaluation without any reuse.
@Suite(.timeLimit(.minutes(10))) struct RenderMemoTests {
    static let templates: [String: String] = [
        "_helpers.tpl": """
            {{- define "probe.cluster" -}}cluster-{{ .Cluster.name }}{{- end -}}
            {{- define "probe.constant" -}}release-{{ .Release.version }}{{- end -}}
            """,
        "direct.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: direct}
            data:
              constant: {{ .Values.greeting | upper | quote }}
              cluster: {{ .Cluster.name | quote }}
              region: {{ .Cluster.labels.region | default "none" | quote }}
            """,
        "root.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: root}
            data:
              {{- range $i, $item := .Values.items }}
              item-{{ $i }}: {{ printf "%s-%s" $item $.Cluster.name | quote }}
              {{- end }}
              whole: {{ toYaml . | sha256sum | quote }}
              indexed: {{ index . "Cluster" | toJson | sha256sum | quote }}
              keys: {{ range $k, $v := $ }}{{ $k }}{{ end }}
            """,
        "includes.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: includes}
            data:
              a: {{ include "probe.cluster" . | quote }}
              b: {{ include "probe.constant" . | quote }}
              c: {{ include "probe.cluster" $ | upper | quote }}
            """,
        "variables.yaml": """
            {{- $name := .Cluster.name }}
            {{- $greeting := .Values.greeting }}
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: variables}
            data:
              name: {{ $name | quote }}
              greeting: {{ $greeting | quote }}
              {{- with .Cluster }}
              env: {{ .environment | quote }}
              {{- end }}
              {{- with $ }}
              again: {{ .Cluster.name | quote }}
              {{- end }}
              {{- if eq .Cluster.name "test-1" }}
              only-test-1: "yes"
              {{- end }}
            """,
        "constant.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: constant}
            data:
              greeting: {{ .Values.greeting | quote }}
            """,
    ]

    @Test func reuseNeverChangesWhatAClusterGets() throws {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        try repo.write("addons/memo-probe/addon.yaml", """
            apiVersion: sluice.dev/v1
            kind: Addon
            metadata: {name: memo-probe}
            spec: {namespace: probe}
            """)
        try repo.write("addons/memo-probe/values.yaml", "greeting: hello\nitems: [a, b]\n")
        for (name, text) in Self.templates { try repo.write("addons/memo-probe/templates/\(name)", text) }
        for release in ["2026-11-1", "2026-11-2"] {
            let path = "releases/\(release).yaml"
            try repo.write(path, try repo.read(path) + "    memo-probe: {version: \"1.0.0\", images: {main: \"registry.example.com/probe:v1\"}}\n")
        }
        // One cluster overrides the add-on's values: it must neither use nor fill the memo.
        try repo.write("clusters/prod-eu-2.yaml", try repo.read("clusters/prod-eu-2.yaml")
            .replacingOccurrences(of: "  addons:\n", with: "  addons:\n    memo-probe: {greeting: bonjour}\n"))
        try repo.commit("probe")
        let git = try GitRepository.open(repo.path)
        let repository = try FleetLoader().load(try git.tree(at: git.resolve("HEAD")))
        #expect(repository.clusters["prod-eu-2"]?.addonValues["memo-probe"] != nil)
        let renderer = try FleetRenderer(repository: repository)
        let addon = try #require(repository.addons["memo-probe"])
        let library = try TemplateLibrary(folder: addon.folder, sources: addon.templates)
        var seen = Set<String>()
        // Twice over, so the second pass runs entirely from the memos and plans.
        for _ in 0..<2 {
            for name in repository.clusterNames {
                let cluster = try #require(repository.clusters[name])
                let rendered = try renderer.render(cluster: name, addon: "memo-probe")
                let data = renderer.templateData(cluster: cluster, addon: addon)
                let outputs = try library.manifests.map { template in
                    var evaluator = TemplateEvaluator(library: library, file: template.file)
                    return (file: template.file, text: try evaluator.render(template, data: data))
                }
                #expect(rendered.digest == FleetRenderer.digest(addon: addon, outputs: outputs), "cluster \(name)")
                let direct = try #require(rendered.objects.first { $0.key.name == "direct" })
                #expect(direct.object.at(["data", "cluster"]) == .string(name))
                seen.insert(rendered.digest)
            }
        }
        // Every cluster got its own output: nothing cluster-specific was shared.
        #expect(seen.count == repository.clusterNames.count)
    }
}
