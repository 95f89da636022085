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
}
