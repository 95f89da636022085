import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceTestSupport
import SluiceYAML
import Testing

/// A hostile or broken chart is an error at its place, never a crash, a hang or gigabytes:
/// recursion through `tpl` and `include`, huge `repeat` and `until`, glob blow-ups; and a
/// bounded mutation fuzz of real charts' templates and values in Helm's dialect.
@Suite(.timeLimit(.minutes(5))) struct ChartHostileTests {
    func refusal(_ template: String, values: String = "") throws -> Diagnostic? {
        let files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: bad\nversion: 1.0.0\n".utf8)),
                     HelmChart.File(name: "values.yaml", bytes: Array(values.utf8)),
                     HelmChart.File(name: "templates/t.yaml", bytes: Array(template.utf8))]
        let sink = DiagnosticSink()
        let chart = try #require(HelmChart.load(files, folder: "addons/bad", sink: sink))
        do {
            _ = try ChartRenderer(chart: chart).render(values: [:], context: ChartContext(releaseName: "bad", namespace: "ns"))
            return nil
        } catch {
            return error as? Diagnostic
        }
    }

    @Test(arguments: [
        ("{{ tpl .Values.t . }}", "t: \"{{ tpl .Values.t . }}\"\n", "tpl calls itself too deeply"),
        ("{{ define \"a\" }}{{ include \"a\" . }}{{ end }}{{ include \"a\" . }}", "", "includes itself too deeply"),
        ("{{ repeat 1000000000 \"xxxxxxxx\" }}", "", "larger than"),
        ("{{ until 1000000000 }}", "", "more than"),
        ("{{ range until 2000000 }}{{ end }}", "", "more than"),
        ("{{ .Files.Glob \"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}\" }}", "", "alternatives"),
        ("{{ $x := list 1 }}{{ range until 300 }}{{ $x = list $x $x }}{{ end }}{{ toJson $x }}", "", "the limit of a value"),
        // Exponential for a backtracking engine; linear here, and bounded per call.
        ("{{ regexFindAll \"(a?){1000}a{1000}\" (repeat 1000000 \"a\") -1 }}", "", "steps"),
        ("{{ regexMatch \"(x{1000}){1000}\" \"x\" }}{{ regexFind \"(x{1000}){1000}\" \"x\" }}", "", "expression too large"),
        ("{{ regexFind (printf \"%s%s\" (repeat 200 \"(\") (repeat 200 \")\")) \"x\" }}", "", "nests too deeply"),
        ("{{ randBytes 100000000 }}", "", "larger than"),
        ("{{ range until 1000 }}{{ genCA \"x\" 1 }}{{ end }}", "", "more than 32 keys"),
        ("{{ wrapWith 1 (repeat 100 \"x\") (repeat 1000000 \"ab\") }}", "", "larger than"),
    ] as [(String, String, String)])
    func hostileTemplatesAreRefusedAtTheirPlace(template: String, values: String, says: String) throws {
        let refusal = try #require(try refusal(template, values: values), "rendered: \(template)")
        #expect(refusal.message.contains(says), "\(refusal.message)")
        #expect(refusal.file == "addons/bad/templates/t.yaml" && refusal.mark != nil)
    }

    /// Real templates, mutated (bytes flipped, lines cut or doubled, template actions
    /// inserted) with mutated values: every render ends, with objects or an error.
    @Test func mutatedChartsEndWithOutputOrAnError() throws {
        let tree = try DirectoryTree(root: ProjectPaths.sharedHelm + "/charts")
        let actions = ["{{ tpl .Values.x . }}", "{{ include \"nope\" . }}", "{{ range .Values }}{{ . }}{{ end }}", "{{ toYaml $ }}",
                       "{{ .Files.Get \"README.md\" | b64enc }}", "{{ fail \"x\" }}", "{{- if", "}}", "{{ $ := 1 }}", "{{ index . 1 }}",
                       "{{ merge .Values .Values.global }}", "{{ semverCompare \">=x\" \"1\" }}", "{{ .Capabilities.APIVersions.Has 3 }}",
                       "{{ now | date .Values.x }}", "{{ toDate .Values.x .Values.x }}", "{{ slice .Values.x 1 }}", "{{ chunk 0 .Values }}",
                       "{{ addf .Values.x 1 | divf 0 }}", "{{ decryptAES \"k\" .Values.x }}", "{{ dateModify .Values.x now }}", "{{ splitn .Values.x 2 \"a\" }}"]
        var random = SplitMix64(seed: 2121)
        var outcomes = (rendered: 0, refused: 0)
        for name in ["metrics-server", "fluent-bit"] {
            let chart = try FleetLoader().chart(in: tree, folder: name)
            for _ in 0..<60 {
                var mutated = chart
                let index = random.below(mutated.templates.count)
                var lines = mutated.templates[index].text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                switch random.below(4) {
                case 0 where !lines.isEmpty: lines.remove(at: random.below(lines.count))
                case 1 where !lines.isEmpty: let at = random.below(lines.count); lines.insert(lines[at], at: at)
                case 2:
                    var bytes = Array(lines.joined(separator: "\n").utf8)
                    if !bytes.isEmpty { bytes[random.below(bytes.count)] ^= UInt8(1 << random.below(8)) }
                    lines = [String(decoding: bytes, as: UTF8.self)]
                default: lines.insert(random.pick(actions), at: random.below(lines.count + 1))
                }
                mutated.templates[index].text = lines.joined(separator: "\n")
                let values: [String: Value] = random.below(2) == 0 ? [:] : ["x": .string("{{ .Release.Name }}"), random.pick(["image", "rbac", "config", "global"]): random.pick([.null, .string("s"), .double(1), .list([])])]
                do {
                    _ = try ChartRenderer(chart: mutated).render(values: values, context: ChartContext(releaseName: name, namespace: "ns"))
                    outcomes.rendered += 1
                } catch {
                    // An error names a file and a place (a syntax or an evaluation error).
                    if let diagnostic = error as? Diagnostic { #expect(!diagnostic.file.isEmpty) }
                    outcomes.refused += 1
                }
            }
        }
        #expect(outcomes.rendered > 0 && outcomes.refused > 0, "\(outcomes)")
    }
}
