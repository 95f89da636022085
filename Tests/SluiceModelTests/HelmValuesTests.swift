import SluiceModel
import SluiceYAML
import Testing

/// Values put together as Helm's `CoalesceValues` does (chartutil's rules, case by case).
@Suite struct HelmValuesTests {
    func chart(_ values: String, subchart: String? = nil) throws -> HelmChart {
        var files = [HelmChart.File(name: "Chart.yaml", bytes: Array("apiVersion: v2\nname: parent\nversion: 1.0.0\n".utf8)),
                     HelmChart.File(name: "values.yaml", bytes: Array(values.utf8))]
        if let subchart {
            files.append(HelmChart.File(name: "charts/sub/Chart.yaml", bytes: Array("apiVersion: v2\nname: sub\nversion: 0.1.0\n".utf8)))
            files.append(HelmChart.File(name: "charts/sub/values.yaml", bytes: Array(subchart.utf8)))
        }
        let sink = DiagnosticSink()
        return try #require(HelmChart.load(files, folder: "addons/parent", sink: sink), "\(sink.diagnostics)")
    }

    func user(_ yaml: String) throws -> [String: Value] {
        try #require(Value(try YAMLParser().parseSingle(Array(yaml.utf8), file: "user.yaml")).mapValue)
    }

    @Test func theUsersValuesWinMapsMergeAndNullDeletes() throws {
        let parent = try chart("image: {repository: nginx, tag: '1.0'}\nports: [80, 443]\nreplicas: 1\nkeep: ~\n")
        let values = try ValuesMerging.coalesce(parent, try user("image: {tag: '2.0'}\nports: [8080]\nreplicas: ~\n"))
        #expect(values["image"] == .map(["repository": .string("nginx"), "tag": .string("2.0")]))
        #expect(values["ports"] == .list([.int(8080)]))
        // The user's null deleted the default; the chart's own null stays (helm#32530).
        #expect(values["replicas"] == nil)
        #expect(values.keys.contains("keep") && values["keep"] == .null)
    }

    @Test func aNullInsideAMapDeletesTheDefaultThere() throws {
        let parent = try chart("resources: {limits: {cpu: 1, memory: 1Gi}}\n")
        let values = try ValuesMerging.coalesce(parent, try user("resources: {limits: {cpu: null}}\n"))
        #expect(values["resources"] == .map(["limits": .map(["memory": .string("1Gi")])]))
    }

    @Test func aSubchartGetsItsKeyOverItsDefaultsAndTheParentsGlobals() throws {
        let parent = try chart("global: {registry: parent.io, labels: {team: a}}\nsub: {enabled: true, replicas: 3}\n",
                               subchart: "replicas: 1\nimage: nginx\nunset: ~\nnested: {a: ~, b: 2}\nglobal: {registry: sub.io, labels: {tier: x}, own: 1}\n")
        let values = try ValuesMerging.coalesce(parent, try user("sub: {image: custom}\n"))
        let sub = try #require(values["sub"]?.mapValue)
        #expect(sub["replicas"] == .double(3) && sub["image"] == .string("custom") && sub["enabled"] == .bool(true))
        // A subchart's default nulls do not reach its values.
        #expect(!sub.keys.contains("unset") && sub["nested"] == .map(["b": .double(2)]))
        // The parent's globals win over the subchart's own, maps merging.
        #expect(sub["global"] == .map(["registry": .string("parent.io"), "own": .double(1),
                                       "labels": .map(["team": .string("a"), "tier": .string("x")])]))
    }

    @Test func aSubchartsKeyThatIsNotAMapIsRefused() throws {
        let parent = try chart("a: 1\n", subchart: "b: 2\n")
        #expect(throws: ValuesMerging.TypeMismatch.self) { try ValuesMerging.coalesce(parent, try user("sub: 3\n")) }
    }

    /// A chart's values.yaml is YAML 1.1 as Helm reads it, every number a float64.
    @Test func chartValuesAreReadAsHelmReadsThem() throws {
        let parent = try chart("on: 3\nenabled: yes\nmode: off\nport: 0777\nbig: 1_000_000\nquoted: \"yes\"\nratio: 1.5\n")
        #expect(parent.values == .map(["true": .double(3), "enabled": .bool(true), "mode": .bool(false), "port": .double(511),
                                       "big": .double(1_000_000), "quoted": .string("yes"), "ratio": .double(1.5)]))
    }

    @Test func userFilesMergeLaterWinning() {
        let merged = ValuesMerging.mergeMaps(["a": .map(["x": .int(1), "y": .int(2)]), "b": .int(1)],
                                             ["a": .map(["y": .null]), "b": .list([])])
        #expect(merged == ["a": .map(["x": .int(1), "y": .null]), "b": .list([])])
    }
}
