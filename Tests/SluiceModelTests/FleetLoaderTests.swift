import Foundation
import SluiceGit
import SluiceModel
import SluiceYAML
import SluiceTestSupport
import Testing

@Suite(.timeLimit(.minutes(10))) struct FleetLoaderTests {
    func loadExample() throws -> FleetRepository {
        try FleetLoader().load(try DirectoryTree(root: ProjectPaths.exampleRepo))
    }

    @Test func loadsTheExampleFleetIntoTypedValues() throws {
        let fleet = try loadExample()
        #expect(fleet.fleet.environments.map(\.name.value) == ["staging", "production"])
        #expect(fleet.clusters.count == 18)
        #expect(fleet.addons.count == 13)
        let calico = try #require(fleet.addons["calico"])
        #expect(calico.dependsOn.map(\.value) == ["kube-proxy"])
        #expect(calico.rollout?.partitions == [.count(1), .percent(10), .percent(50), .percent(100)])
        #expect(calico.rollout?.bake == .seconds(600))
        #expect(calico.templates.filter(\.isHelper).map(\.path) == ["addons/calico/templates/_helpers.tpl"])
        let production = try #require(fleet.pipelines["production"]?.stages.last)
        #expect(production.batches == [.count(1), .count(3), .count(6), .percent(100)])
        #expect(production.onFailure == .rollback && production.approval && production.maxFailures == 1)
        guard case .prometheus(_, _, let threshold, _)? = fleet.pipelines["production"]?.checks["apiserver-errors"]?.kind else {
            Issue.record("prometheus check not parsed")
            return
        }
        #expect(threshold == Threshold("< 0.01"))
        // Shipped policies come first, then the repo's own.
        #expect(fleet.policies.map(\.name) == ["dangerous-fields", "manifest-rules", "acme-fleet"])
        #expect(fleet.dangerousFields(for: "calico").last?.path == "data.cni_network_config")
    }

    @Test func stringFieldsKeepTheTextAsWritten() throws {
        let repo = try TestRepository(copying: ProjectPaths.corpus + "/_base")
        try repo.write("releases/stable.yaml", """
            apiVersion: sluice.dev/v1
            kind: AddonRelease
            metadata:
              name: stable
            spec:
              version: 1.10
              addons:
                net: {version: on, images: {main: "reg.example.com/net:1.0.0"}}
                dns: {version: 0777, images: {main: "reg.example.com/dns:1.0.0"}}
                metrics: {version: 1e3, images: {main: "reg.example.com/metrics:1.0.0"}}
            """)
        let fleet = try FleetLoader().load(try DirectoryTree(root: repo.path))
        let release = try #require(fleet.releases["stable"])
        #expect(release.version.value == "1.10")
        #expect(release.entries.map(\.version.value) == ["on", "0777", "1e3"])
    }

    @Test func reportsEveryErrorWithDidYouMean() throws {
        let repo = try TestRepository(copying: ProjectPaths.corpus + "/_base")
        try repo.write("clusters/extra.yaml", """
            apiVersion: sluice.dev/v1
            kind: Cluster
            metadata:
              name: extra
              lables: {env: staging}
            spec:
              relase: stable
              connection: {simulated: {}}
            """)
        do {
            _ = try FleetLoader().load(try DirectoryTree(root: repo.path))
            Issue.record("should fail")
        } catch let error as ValidationFailure {
            #expect(error.diagnostics.map(\.description) == [
                // True, not a cascade: with `labels` misspelt the cluster has no labels.
                "clusters/extra.yaml:4:9: cluster \"extra\" belongs to no environment: its labels match no selector in sluice.yaml",
                "clusters/extra.yaml:5:3: unknown field \"lables\" in metadata; did you mean \"labels\"?",
                "clusters/extra.yaml:7:3: missing required field \"spec.release\"",
                "clusters/extra.yaml:7:3: unknown field \"relase\" in spec; did you mean \"release\"?",
            ])
        }
    }

    @Test func labelSelectors() {
        var selector = LabelSelector(matchLabels: ["env": "prod"])
        selector.matchExpressions = [
            .init(key: "region", op: .in, values: ["eu", "us"]),
            .init(key: "legacy", op: .doesNotExist, values: []),
        ]
        #expect(selector.matches(["env": "prod", "region": "eu"]))
        #expect(!selector.matches(["env": "prod", "region": "ap"]))
        #expect(!selector.matches(["env": "prod", "region": "eu", "legacy": "yes"]))
        #expect(!selector.matches(["region": "eu"]))
        #expect(LabelSelector().matches([:]))
        #expect(LabelSelector(matchExpressions: [.init(key: "tier", op: .notIn, values: ["test"])]).matches([:]))
    }

    @Test func cumulativeBatches() {
        #expect(BatchSize.count(5).cumulative(of: 3) == 3)
        #expect(BatchSize.percent(10).cumulative(of: 9) == 1)
        #expect(BatchSize.percent(50).cumulative(of: 9) == 5)
        #expect(BatchSize.percent(100).cumulative(of: 9) == 9)
        #expect(BatchSize.percent(100).cumulative(of: 0) == 0)
    }

    @Test func goDurations() {
        #expect(GoDuration.parse("1h30m") == .seconds(5400))
        #expect(GoDuration.parse("500ms") == .milliseconds(500))
        #expect(GoDuration.parse("30") == nil)
        #expect(GoDuration.parse("10 minutes") == nil)
        #expect(GoDuration.format(.seconds(5400)) == "1h30m")
    }

    @Test func thresholdsAndTimeWindows() {
        #expect(Threshold(">= 0.99")?.passes(0.995) == true)
        #expect(Threshold("<0.01")?.passes(0.02) == false)
        #expect(Threshold("about 1") == nil)
        #expect(TimeWindow.parseHours("09:00-16:30") == 540..<990)
        #expect(TimeWindow.parseHours("17:00-09:00") == nil)
    }

    @Test func imageReferences() {
        #expect(ImageReference.problem("reg.example.com:5000/app:v1") == nil)
        #expect(ImageReference.problem("reg.example.com:5000/app") != nil)
        #expect(ImageReference.problem("app@sha256:" + String(repeating: "a", count: 64)) == nil)
        #expect(ImageReference.problem("app@sha256:abc") != nil)
        #expect(ImageReference.tag(of: "host:5000/team/app:1.2") == "1.2")
    }

    @Test func shippedPoliciesMatchThePoliciesFolder() throws {
        for (path, text) in ShippedPolicies.files {
            let file = ProjectPaths.root + "/" + path.dropFirst("sluice:".count)
            let onDisk = try String(contentsOfFile: file, encoding: .utf8)
            #expect(onDisk.trimmingCharacters(in: .newlines) == text.trimmingCharacters(in: .newlines), "run `make policies`")
        }
        let folder = try FileManager.default.contentsOfDirectory(atPath: ProjectPaths.root + "/policies").filter { $0.hasSuffix(".yaml") }
        #expect(ShippedPolicies.files.count == folder.count)
    }

    /// A loader that keeps what it built by content id (the controller's) builds a later
    /// commit like a fresh one: what changed is read again, a link's target too, and a file
    /// with an error is reported with every commit that has it.
    @Test func aWarmLoaderSeesEveryChangeAndReportsErrorsAgain() throws {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        var loader = FleetLoader()
        loader.cache = ParsedDocumentCache()
        func load(_ commit: String) throws -> FleetRepository {
            let git = try GitRepository.open(repo.path)
            return try loader.load(try git.tree(at: try git.resolve(commit)))
        }
        try repo.write("shared/prod-us-1.yaml", try repo.read("clusters/prod-us-1.yaml"))
        try repo.remove("clusters/prod-us-1.yaml")
        try FileManager.default.createSymbolicLink(atPath: repo.path + "/clusters/prod-us-1.yaml", withDestinationPath: "../shared/prod-us-1.yaml")
        let first = try load(try repo.commit("fleet"))
        #expect(first.clusters["stg-us-1"]?.labels["size"] == "m")
        #expect(first.addons["coredns"]?.values.at("cacheSeconds") == .int(30))

        try repo.write("clusters/stg-us-1.yaml", try repo.read("clusters/stg-us-1.yaml").replacingOccurrences(of: "size: m", with: "size: l"))
        try repo.write("addons/coredns/values.yaml", try repo.read("addons/coredns/values.yaml").replacingOccurrences(of: "cacheSeconds: 30", with: "cacheSeconds: 60"))
        try repo.write("shared/prod-us-1.yaml", try repo.read("shared/prod-us-1.yaml").replacingOccurrences(of: "env: production", with: "env: production\n    rack: r7"))
        let second = try load(try repo.commit("edits"))
        #expect(second.clusters["stg-us-1"]?.labels["size"] == "l")
        #expect(second.addons["coredns"]?.values.at("cacheSeconds") == .int(60))
        #expect(second.clusters["prod-us-1"]?.labels["rack"] == "r7")
        #expect(second.clusters["stg-eu-1"]?.labels == first.clusters["stg-eu-1"]?.labels)
        // Back to the first commit: its content again, not the newer one's.
        let again = try load(try repo.git("rev-parse", "HEAD~1").trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(again.clusters["stg-us-1"]?.labels["size"] == "m")
        #expect(again.addons["coredns"]?.values.at("cacheSeconds") == .int(30))

        try repo.write("clusters/stg-us-1.yaml", try repo.read("clusters/stg-us-1.yaml").replacingOccurrences(of: "  release: 2026-11-2", with: "  release: 2026-11-2\n  color: blue"))
        let broken = try repo.commit("a field that does not exist")
        for _ in 0..<2 {
            #expect(throws: ValidationFailure.self) { try load(broken) }
            do { _ = try load(broken) } catch let failure as ValidationFailure {
                #expect(failure.diagnostics.contains { $0.file == "clusters/stg-us-1.yaml" })
            }
        }
    }
}
