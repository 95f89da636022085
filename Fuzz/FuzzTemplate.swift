import SluiceModel
import SluiceYAML

// libFuzzer target for the template parser and evaluator (built by scripts/build-fuzzers.sh
// into the SluiceRender module): the input is one template file, parsed and rendered against
// fixed data, in Sluice's dialect and then, as a chart's template, in Helm's (its functions,
// `.Files` and `.Capabilities` methods, `tpl`). Errors are fine; a crash, a hang or unbounded
// memory is a finding.
private let data: Value = .map([
    "Values": .map(["replicas": .int(3), "name": .string("web"), "ratio": .double(0.5), "inf": .double(.infinity),
                    "list": .list([.string("a"), .int(1)]), "map": .map(["k": .string("v")]), "empty": .string("")]),
    "Cluster": .map(["name": .string("prod-1"), "labels": .map(["region": .string("eu")])]),
    "Release": .map(["name": .string("r1"), "version": .string("1")]),
])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTemplate(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let bytes else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: bytes, count: size), as: UTF8.self)
    guard let library = try? TemplateLibrary(folder: "addons/a", sources: [
        TemplateSource(path: "addons/a/templates/t.yaml", text: text),
        TemplateSource(path: "addons/a/templates/_helpers.tpl", text: "{{ define \"h\" }}{{ .Values.name }}{{ end }}"),
    ]) else { return 0 }
    for manifest in library.manifests {
        var evaluator = TemplateEvaluator(library: library, file: manifest.file)
        _ = try? evaluator.render(manifest, data: data)
    }
    let files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: f\nversion: 1.0.0\n".utf8)),
                 HelmChart.File(name: "values.yaml", bytes: Array("replicas: 3\nname: web\nlist: [a, 1]\nmap: {k: v}\nt: '{{ .Values.name }}'\n".utf8)),
                 HelmChart.File(name: "templates/t.yaml", bytes: Array(text.utf8)),
                 HelmChart.File(name: "templates/_helpers.tpl", bytes: Array("{{ define \"h\" }}{{ .Values.name }}{{ end }}".utf8)),
                 HelmChart.File(name: "files/a.conf", bytes: Array("a=1\n".utf8))]
    if let chart = HelmChart.load(files, folder: "addons/f", sink: DiagnosticSink()), let renderer = try? ChartRenderer(chart: chart) {
        _ = try? renderer.render(values: ["map": .map(["k": .null])], context: ChartContext(releaseName: "f", namespace: "ns"))
    }
    return 0
}
