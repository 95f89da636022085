import SluiceModel
import SluiceRender
import SluiceYAML
import Testing

/// Go's and Helm's rules in a chart's templates, each checked against what Helm v4.2.3 does
/// (found with helm-python-sdk).
@Suite struct HelmDialectTests {
    func render(_ template: String, values: String = "", files: [String: String] = [:]) throws -> String {
        var chartFiles = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: demo\nversion: 1.0.0\nappVersion: \"2.0\"\n".utf8)),
                          HelmChart.File(name: "values.yaml", bytes: Array(values.utf8)),
                          HelmChart.File(name: "templates/t.yaml", bytes: Array(template.utf8)),
                          HelmChart.File(name: "templates/_h.tpl", bytes: Array("{{ define \"demo.name\" }}{{ .Chart.Name }}{{ end }}".utf8))]
        for (name, text) in files { chartFiles.append(HelmChart.File(name: name, bytes: Array(text.utf8))) }
        let sink = DiagnosticSink()
        let chart = try #require(HelmChart.load(chartFiles, folder: "addons/demo", sink: sink), "\(sink.diagnostics)")
        return try ChartRenderer(chart: chart).render(values: [:], context: ChartContext(releaseName: "rel", namespace: "ns"))[0].text
    }

    func refusal(_ template: String, values: String = "") -> String? {
        do { _ = try render(template, values: values); return nil } catch { return (error as? Diagnostic)?.message }
    }

    @Test func missingKeysAreNilAndValuesAreFloat64s() throws {
        #expect(try render("[{{ .Values.nothing }}]") == "[]")
        #expect(try render("{{ .Values.big }} {{ typeOf .Values.big }} {{ toYaml .Values }}", values: "big: 1000000\n") == "1e+06 float64 big: 1000000")
        #expect(refusal("{{ .Values.nothing.deeper }}")?.contains("nil pointer evaluating interface {}.deeper") == true)
        #expect(try render("{{ .Chart.Name }}-{{ .Chart.AppVersion }} {{ .Release.Name }}/{{ .Release.Namespace }} {{ .Release.Service }} {{ .Template.Name }}")
                == "demo-2.0 rel/ns Helm demo/templates/t.yaml")
    }

    /// Go checks a function's parameter types: a float64 is no int, nil is no string.
    @Test func typedParametersRefuseOtherTypes() {
        #expect(refusal("{{ indent .Values.width \"x\" }}", values: "width: 4\n")?.contains("expected int; got float64") == true)
        #expect(refusal("{{ upper .Values.nothing }}")?.contains("expected string; got interface {}") == true)
        #expect(refusal("{{ merge .Values.nothing (dict) }}")?.contains("expected map[string]interface {}") == true)
    }

    @Test func filesAndTplAndCapabilities() throws {
        let files = ["conf/a.conf": "alpha\nbeta\n", "conf/b.conf": "gamma", "other.txt": "x"]
        #expect(try render("{{ .Files.Get \"other.txt\" }}|{{ len (.Files.Lines \"conf/a.conf\") }}|{{ range $p, $_ := .Files.Glob \"conf/*.conf\" }}{{ $p }} {{ end }}",
                           files: files) == "x|2|conf/a.conf conf/b.conf ")
        #expect(try render("{{ (.Files.Glob \"conf/b.conf\").AsConfig }}", files: files) == "b.conf: gamma")
        #expect(try render("{{ tpl .Values.text . }}", values: "text: \"{{ include \\\"demo.name\\\" . }}-{{ .Release.Name }}\"\n") == "demo-rel")
        #expect(try render("{{ .Capabilities.APIVersions.Has \"apps/v1\" }} {{ .Capabilities.APIVersions.Has \"apps/v9\" }} {{ .Capabilities.KubeVersion.Version }}")
                == "true false v1.36.0")
        #expect(try render("{{ semverCompare \">=1.21-0\" .Capabilities.KubeVersion.Version }} {{ semverCompare \"~1.2\" \"1.3.0\" }}") == "true false")
        #expect(refusal("{{ fail \"stop here\" }}") == "stop here")
        #expect(try render("{{ lookup \"v1\" \"Secret\" \"ns\" \"x\" | toYaml }}") == "{}")
    }
}
