import SluiceModel
import SluiceRender
import SluiceYAML
import Testing

/// Subcharts as Helm's `ProcessDependencies` keeps them: conditions, tags, aliases, values
/// imported from a child, and a listed dependency that is not vendored refused by name.
@Suite struct ChartDependencyTests {
    static let configMap = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: {{ .Chart.Name }}-{{ .Release.Name }}}
        data: {greeting: {{ .Values.greeting | quote }}, global: {{ .Values.global.env | quote }}}
        """

    func chart(_ chartYAML: String, values: String, subcharts: [String: (chart: String, values: String)] = [:]) throws -> HelmChart {
        var files = [HelmChart.File(name: "Chart.yaml", bytes: Array(chartYAML.utf8)), HelmChart.File(name: "values.yaml", bytes: Array(values.utf8)),
                     HelmChart.File(name: "templates/parent.yaml", bytes: Array(Self.configMap.utf8))]
        for (folder, sub) in subcharts {
            files.append(HelmChart.File(name: "charts/\(folder)/Chart.yaml", bytes: Array(sub.chart.utf8)))
            files.append(HelmChart.File(name: "charts/\(folder)/values.yaml", bytes: Array(sub.values.utf8)))
            files.append(HelmChart.File(name: "charts/\(folder)/templates/cm.yaml", bytes: Array(Self.configMap.utf8)))
            files.append(HelmChart.File(name: "charts/\(folder)/templates/_helpers.tpl", bytes: Array("{{ define \"sub.x\" }}x{{ end }}".utf8)))
        }
        let sink = DiagnosticSink()
        return try #require(HelmChart.load(files, folder: "addons/app", sink: sink), "\(sink.diagnostics)")
    }

    func names(_ chart: HelmChart, _ values: [String: Value] = [:]) throws -> [String] {
        try ChartRenderer(chart: chart).render(values: values, context: ChartContext(releaseName: "rel", namespace: "ns")).map(\.name)
    }

    static let parent = """
        apiVersion: v2
        name: app
        version: 1.0.0
        dependencies:
          - {name: cache, version: "~0.3", condition: cache.enabled}
          - {name: metrics, version: ">=1.0.0", tags: [monitoring]}
          - {name: cache, version: "0.3.x", alias: sessions, condition: sessions.enabled,other.enabled}
        """
    static let subcharts: [String: (chart: String, values: String)] = [
        "cache": ("apiVersion: v2\nname: cache\nversion: 0.3.1\n", "greeting: from-cache\nenabled: true\n"),
        "metrics": ("apiVersion: v2\nname: metrics\nversion: 1.2.0\n", "greeting: from-metrics\n"),
    ]

    @Test func conditionsTagsAndAliasesDecideWhichSubchartsRender() throws {
        let app = try chart(Self.parent, values: "greeting: hi\nglobal: {env: prod}\ncache: {enabled: false}\nsessions: {enabled: true}\ntags: {monitoring: false}\n",
                            subcharts: Self.subcharts)
        #expect(try names(app) == ["app/charts/sessions/templates/cm.yaml", "app/templates/parent.yaml"])
        // The user's values turn them the other way; a tag that is true turns metrics on.
        let other = try names(app, ["cache": .map(["enabled": .bool(true)]), "sessions": .map(["enabled": .bool(false)]),
                                    "tags": .map(["monitoring": .bool(true)])])
        #expect(other == ["app/charts/cache/templates/cm.yaml", "app/charts/metrics/templates/cm.yaml", "app/templates/parent.yaml"])
    }

    @Test func anAliasedSubchartTakesItsValuesAndNameFromTheAlias() throws {
        let app = try chart(Self.parent, values: "global: {env: prod}\ncache: {enabled: false}\nsessions: {enabled: true, greeting: sess}\ntags: {monitoring: false}\n",
                            subcharts: Self.subcharts)
        let outputs = try ChartRenderer(chart: app).render(values: [:], context: ChartContext(releaseName: "rel", namespace: "ns"))
        let text = try #require(outputs.first { $0.name == "app/charts/sessions/templates/cm.yaml" }?.text)
        #expect(text.contains("name: sessions-rel") && text.contains("greeting: \"sess\"") && text.contains("global: \"prod\""))
    }

    @Test func aListedDependencyThatIsNotVendoredIsRefusedByName() throws {
        let app = try chart(Self.parent, values: "", subcharts: ["metrics": Self.subcharts["metrics"]!])
        #expect {
            _ = try names(app)
        } throws: { error in
            (error as? Diagnostic)?.message.contains("dependency \"cache\"") == true && (error as? Diagnostic)?.message.contains("helm dependency build") == true
        }
    }

    @Test func importValuesCopyAChildsExportsIntoTheParent() throws {
        let parent = """
            apiVersion: v2
            name: app
            version: 1.0.0
            dependencies:
              - {name: cache, version: "0.3.1", import-values: [defaults, {child: settings, parent: imported}]}
            """
        let app = try chart(parent, values: "greeting: mine\nglobal: {env: prod}\n", subcharts: [
            "cache": ("apiVersion: v2\nname: cache\nversion: 0.3.1\n", "exports: {defaults: {greeting: theirs, port: 80}}\nsettings: {size: 3}\n"),
        ])
        let outputs = try ChartRenderer(chart: app).render(values: [:], context: ChartContext(releaseName: "rel", namespace: "ns"))
        // The parent's own greeting wins over the imported one.
        #expect(outputs.first { $0.name == "app/templates/parent.yaml" }?.text.contains("greeting: \"mine\"") == true)
        let processed = try HelmDependencies.process(app, values: [:])
        #expect(processed.values["port"] == .double(80) && processed.values["imported"] == .map(["size": .double(3)]))
    }
}
