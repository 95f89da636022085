import Foundation
import SluiceGit
import SluiceModel
import SluiceTestSupport
import SluiceYAML
import Testing

/// Charts read as Helm's loader reads them: Go's `filepath.Match`, `.helmignore` with Helm's
/// own rules (its test table), `Chart.yaml` into `.Chart`, and the four real upstream charts
/// of `../shared/helm`.
@Suite struct HelmChartTests {
    /// Go's own `filepath.Match` test table (`nil`: ErrBadPattern).
    @Test(arguments: [
        ("abc", "abc", true), ("*", "abc", true), ("*c", "abc", true), ("a*", "a", true), ("a*", "abc", true), ("a*", "ab/c", false),
        ("a*/b", "abc/b", true), ("a*/b", "a/c/b", false), ("a*b*c*d*e*/f", "axbxcxdxe/f", true), ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false), ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false), ("a*b?c*x", "abxbbxdbxebxczzx", true),
        ("a*b?c*x", "abxbbxdbxebxczzy", false), ("ab[c]", "abc", true), ("ab[b-d]", "abc", true), ("ab[e-g]", "abc", false),
        ("ab[^c]", "abc", false), ("ab[^b-d]", "abc", false), ("ab[^e-g]", "abc", true), ("a\\*b", "a*b", true), ("a\\*b", "ab", false),
        ("a?b", "a☺b", true), ("a[^a]b", "a☺b", true), ("a???b", "a☺b", false), ("a[^a][^a][^a]b", "a☺b", false), ("[a-ζ]*", "α", true),
        ("*[a-ζ]", "A", false), ("a?b", "a/b", false), ("a*b", "a/b", false), ("[\\]a]", "]", true), ("[\\-]", "-", true),
        ("[x\\-]", "x", true), ("[x\\-]", "-", true), ("[x\\-]", "z", false), ("[\\-x]", "x", true), ("[\\-x]", "-", true),
        ("[\\-x]", "a", false), ("*x", "xxx", true),
    ] as [(String, String, Bool)])
    func goPathMatch(pattern: String, name: String, matches: Bool) throws {
        #expect(try #require(GoPathMatch(pattern)).matches(name) == matches)
    }

    @Test(arguments: ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "a/b["])
    func badPatterns(pattern: String) {
        #expect(GoPathMatch(pattern) == nil)
    }

    /// Helm's `pkg/ignore` test table (`cargo` and `mast` are folders there).
    @Test(arguments: [
        ("helm.txt", "helm.txt", true), ("helm.*", "helm.txt", true), ("helm.*", "rudder.txt", false), ("*.txt", "tiller.txt", true),
        ("*.txt", "cargo/a.txt", true), ("cargo/*.txt", "cargo/a.txt", true), ("cargo/*.*", "cargo/a.txt", true),
        ("cargo/*.txt", "mast/a.txt", false), ("ru[c-e]?er.txt", "rudder.txt", true), ("templates/.?*", "templates/.dotfile", true),
        (".*", ".", false), (".*", "./", false), (".*", ".joonix", true), (".*", "helm.txt", false), (".*", "", false),
        ("cargo/", "cargo", true), ("cargo/", "cargo/", true), ("cargo/", "mast/", false), ("helm.txt/", "helm.txt", false),
        ("!helm.txt", "helm.txt", false), ("!helm.txt", "tiller.txt", true), ("!*.txt", "cargo", true), ("!cargo/", "mast/", true),
        ("/a.txt", "a.txt", true), ("/a.txt", "cargo/a.txt", false), ("/cargo/a.txt", "cargo/a.txt", true),
    ] as [(String, String, Bool)])
    func helmIgnore(rule: String, path: String, ignored: Bool) throws {
        let folder = ["cargo", "cargo/", "mast/", "."].contains(path)
        #expect(try HelmIgnore(text: rule).ignores(path, isFolder: folder) == ignored)
    }

    @Test func helmIgnoreRefusesDoubleStarsAndSkipsIgnoredFolders() throws {
        #expect(throws: HelmIgnore.BadRule.self) { try HelmIgnore(text: "# ok\nfoo/**/bar") }
        #expect(throws: HelmIgnore.BadRule.self) { try HelmIgnore(text: "[z-") }
        let rules = try HelmIgnore(text: "docs/\n*.swp")
        #expect(rules.excludes(file: "docs/guide/a.md"))
        #expect(rules.excludes(file: "templates/x.yaml.swp"))
        #expect(rules.excludes(file: "templates/.hidden.yaml"))
        #expect(!rules.excludes(file: "templates/deployment.yaml"))
        #expect(!rules.excludes(file: "files/docs"))
    }

    func loadShared(_ name: String) throws -> HelmChart {
        let tree = try DirectoryTree(root: ProjectPaths.sharedHelm + "/charts")
        return try FleetLoader().chart(in: tree, folder: name)
    }

    @Test func theUpstreamChartsLoadAsHelmLoadsThem() throws {
        let metricsServer = try loadShared("metrics-server")
        #expect(metricsServer.metadata.name == "metrics-server" && metricsServer.metadata.version == "3.13.1")
        #expect(metricsServer.metadata.value["AppVersion"] == .string("0.8.1"))
        #expect(metricsServer.metadata.value["APIVersion"] == .string("v2"))
        #expect(metricsServer.metadata.value["Maintainers"]?.listValue?.first?["Name"] == .string("stevehipwell"))
        #expect(metricsServer.metadata.value["Maintainers"]?.listValue?.first?["Email"] == .string(""))
        #expect(metricsServer.metadata.value["Annotations"]?["artifacthub.io/changes"]?.stringValue?.hasPrefix("- kind: fixed") == true)
        #expect(metricsServer.metadata.value["Deprecated"] == .bool(false) && metricsServer.metadata.value["KubeVersion"] == .string(""))
        let templates = metricsServer.templates.map { String($0.path.dropFirst("metrics-server/".count)) }
        #expect(templates.contains("templates/_helpers.tpl") && templates.contains("templates/NOTES.txt") && templates.contains("templates/deployment.yaml"))
        #expect(templates == templates.sorted())
        #expect(metricsServer.values["image"]?["repository"] == .string("registry.k8s.io/metrics-server/metrics-server"))
        // Everything else is a file `.Files` can read: ci/, the README, the changelog; not the chart's own files.
        let files = Set(metricsServer.files.map(\.name))
        #expect(files.contains("ci/ci-values.yaml") && files.contains("README.md") && files.contains(".helmignore"))
        #expect(!files.contains("Chart.yaml") && !files.contains("values.yaml") && !files.contains(where: { $0.hasPrefix("templates/") }))

        let ingress = try loadShared("ingress-nginx")
        #expect(ingress.templates.contains { $0.path.hasSuffix("templates/admission-webhooks/job-patch/job-createSecret.yaml") })
        #expect(ingress.metadata.kubeVersion == ">=1.21.0-0")
        for name in ["fluent-bit", "node-problem-detector"] {
            let chart = try loadShared(name)
            #expect(chart.metadata.name == name && !chart.templates.isEmpty && chart.subcharts.isEmpty)
        }
    }

    /// A subchart packed as `helm dependency build` leaves it (`charts/name-version.tgz`).
    @Test func aPackedSubchartIsReadAsHelmReadsIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-tgz-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/sub/templates", withIntermediateDirectories: true)
        try "apiVersion: v2\nname: sub\nversion: 0.2.0\n".write(toFile: folder + "/sub/Chart.yaml", atomically: true, encoding: .utf8)
        try "size: 3\n".write(toFile: folder + "/sub/values.yaml", atomically: true, encoding: .utf8)
        try "kind: ConfigMap\n".write(toFile: folder + "/sub/templates/cm.yaml", atomically: true, encoding: .utf8)
        try TestRepository.run("/usr/bin/tar", ["-czf", folder + "/sub-0.2.0.tgz", "-C", folder, "sub"])
        let archive = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/sub-0.2.0.tgz")))
        let files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: app\nversion: 1.0.0\n".utf8)),
                     HelmChart.File(name: "charts/sub-0.2.0.tgz", bytes: archive)]
        let sink = DiagnosticSink()
        let chart = try #require(HelmChart.load(files, folder: "addons/app", sink: sink), "\(sink.diagnostics)")
        let sub = try #require(chart.subcharts.first)
        #expect(sub.name == "sub" && sub.values == .map(["size": .double(3)]) && sub.folder == "addons/app/charts/sub-0.2.0.tgz")
        #expect(sub.templates.map(\.path) == ["addons/app/charts/sub-0.2.0.tgz/templates/cm.yaml"])

        // Broken or hostile archives are refused at the archive, with the reason.
        for (bytes, says) in [(Array(archive.prefix(archive.count / 2)), "ends early"), ([0x1F, 0x8B, 0x08, 0x00, 0x41], "gzip")] {
            let broken = HelmChart.load([files[0], HelmChart.File(name: "charts/sub-0.2.0.tgz", bytes: bytes)], folder: "addons/app", sink: DiagnosticSink())
            #expect(broken == nil, "\(says)")
        }
        // GNU tar drops `..` from what it packs: the hostile archive is written by Python's tarfile.
        let script = """
            import io, sys, tarfile
            with tarfile.open(sys.argv[1], "w:gz") as t:
                for name, data in [("evil/Chart.yaml", b"apiVersion: v2\\nname: evil\\nversion: 0.1.0\\n"), ("evil/../outside.txt", b"x")]:
                    info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
            """
        try TestRepository.run("/usr/bin/env", ["python3", "-c", script, folder + "/evil.tgz"])
        let evilSink = DiagnosticSink()
        #expect(HelmChart.load([files[0], HelmChart.File(name: "charts/evil.tgz", bytes: Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/evil.tgz"))))],
                               folder: "addons/app", sink: evilSink) == nil)
        #expect(evilSink.diagnostics.contains { $0.message.contains("outside the chart's folder") })
    }
}
