import Foundation
import SluiceTestSupport
import Testing

/// The CLI as a user meets it: exit codes 0 / 1 / 2, text and JSON output.
@Suite(.timeLimit(.minutes(10))) struct CommandTests {
    let exampleRepo: TestRepository

    init() throws {
        exampleRepo = try TestRepository(copying: ProjectPaths.exampleRepo)
        try exampleRepo.commit("fleet")
    }

    func sluice(_ arguments: String...) throws -> ProcessResult {
        try ProcessResult.run(ProjectPaths.sluiceBinary, arguments)
    }

    @Test func validateExampleRepoPrintsTheRolloutOrder() throws {
        let result = try sluice("validate", "--repo", exampleRepo.path, "--rev", "main", "--order")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("18 clusters, 13 add-ons, 2 releases"))
        #expect(result.stdout.contains("stage production (ordered by weight, bake 1h, approval required, maxFailures 1)"))
        // Lightest weight first, cumulative batches 1, 3, 6, 100%.
        #expect(result.stdout.contains("batch 1 [1]: prod-ap-2\n"))
        #expect(result.stdout.contains("batch 2 [3]: prod-us-4, prod-eu-3\n"))
        #expect(result.stdout.contains("kube-proxy -> calico + node-problem-detector -> cert-manager + coredns + csi-node + metrics-server + openkruise -> fluent-bit + ingress-nginx + monitoring-agent + node-local-dns"))
        // Each release's order names the clusters it applies to (test-2 disables ingress-nginx and cert-manager).
        #expect(result.stdout.contains("  2026-11-2 (3 clusters: stg-eu-1, stg-us-1, test-1): kube-proxy"))
        #expect(result.stdout.contains("  2026-11-2 (1 cluster: test-2): kube-proxy"))
        #expect(result.stdout.contains("  2026-11-1 (14 clusters: canary-eu-1, canary-us-1, prod-ap-1, prod-ap-2, prod-eu-1, prod-eu-2, prod-eu-3, prod-us-1 and 6 more): "))
    }

    @Test func validateJSONIsStructured() throws {
        let result = try sluice("validate", "--repo", exampleRepo.path, "--output", "json")
        #expect(result.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(json?["valid"] as? Bool == true)
        #expect((json?["commit"] as? String)?.count == 40)
        #expect(json?["pairs"] as? Int == 232)
    }

    @Test func invalidRepoInJSONListsErrorsWithPositions() throws {
        try exampleRepo.write("clusters/test-1.yaml", try exampleRepo.read("clusters/test-1.yaml").replacingOccurrences(of: "release: 2026-11-2", with: "release: 2026-11-9"))
        try exampleRepo.commit("bad release")
        let result = try sluice("validate", "--repo", exampleRepo.path, "--output", "json")
        #expect(result.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let errors = json?["errors"] as? [[String: Any]]
        #expect(errors?.count == 1)
        #expect(errors?.first?["file"] as? String == "clusters/test-1.yaml")
        #expect(errors?.first?["line"] as? Int == 12)
        #expect(errors?.first?["column"] as? Int == 12)
    }

    @Test func anOlderRevisionIsValidatedAsItWas() throws {
        let good = try exampleRepo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        try exampleRepo.remove("sluice.yaml")
        try exampleRepo.commit("break it")
        #expect(try sluice("validate", "--repo", exampleRepo.path).status == 1)
        #expect(try sluice("validate", "--repo", exampleRepo.path, "--rev", good).status == 0)
        #expect(try sluice("validate", "--repo", exampleRepo.path, "--rev", "HEAD~1").status == 0)
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try sluice("validate", "--no-such-flag").status == 2)
        #expect(try sluice("render").status == 2)  // --cluster is required
        #expect(try sluice("graph", "--format", "png").status == 2)
    }

    @Test func unknownRevisionOrMissingRepoIsInvalidInput() throws {
        let result = try sluice("validate", "--repo", exampleRepo.path, "--rev", "no-such-branch")
        #expect(result.status == 1)
        #expect(result.stderr.contains("no-such-branch"))
        #expect(try sluice("validate", "--repo", "/nonexistent/fleet").status == 1)
    }

    @Test func graphFormats() throws {
        let text = try sluice("graph", "--repo", exampleRepo.path, "--release", "2026-11-1")
        #expect(text.status == 0)
        #expect(text.stdout.contains("release 2026-11-1: 13 add-ons in 5 levels"))
        #expect(text.stdout.contains("level 3: fluent-bit (after coredns), ingress-nginx (after cert-manager, coredns), monitoring-agent (after coredns)"))
        let dot = try sluice("graph", "--repo", exampleRepo.path, "--release", "2026-11-1", "--format", "dot")
        #expect(dot.stdout.contains("\"coredns\" -> \"ingress-nginx\";"))
        let mermaid = try sluice("graph", "--repo", exampleRepo.path, "--release", "2026-11-1", "--format", "mermaid")
        #expect(mermaid.stdout.contains("cert_manager --> ingress_nginx"))
        #expect(try sluice("graph", "--repo", exampleRepo.path, "--release", "nope").status == 1)
    }

    @Test func renderPrintsAYAMLStreamInDependencyOrder() throws {
        let result = try sluice("render", "--repo", exampleRepo.path, "--cluster", "prod-eu-1")
        #expect(result.status == 0, "\(result.stderr)")
        let proxy = try #require(result.stdout.range(of: "name: kube-proxy"))
        let monitoring = try #require(result.stdout.range(of: "name: node-exporter"))
        #expect(proxy.lowerBound < monitoring.lowerBound)
        #expect(result.stdout.contains("mode: \"ipvs\""))  // prod-eu-1's meta-config override
        #expect(result.stdout.contains("sluice.dev/commit: " + (try exampleRepo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines))))
    }

    @Test func renderOneAddonAsJSON() throws {
        let result = try sluice("render", "--repo", exampleRepo.path, "--cluster", "test-1", "--addon", "coredns", "--output", "json")
        #expect(result.status == 0)
        let objects = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        // In the order apply applies them (KindOrder), as in text.
        let kinds = objects?.compactMap { $0["kind"] as? String }
        #expect(kinds == ["ServiceAccount", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "Service", "Deployment"])
        let deployment = objects?.first { $0["kind"] as? String == "Deployment" }
        #expect((deployment?["spec"] as? [String: Any])?["replicas"] as? Int == 1)
    }

    /// `render` prints what `apply` applies in its order, Namespaces and CRDs first in each
    /// add-on, each document under `# Source:` as `helm template` prints it (issue 11).
    @Test func renderPrintsInApplyOrderWithSourceComments() throws {
        let result = try sluice("render", "--repo", exampleRepo.path, "--cluster", "test-1", "--addon", "openkruise")
        #expect(result.status == 0, "\(result.stderr)")
        let documents = result.stdout.components(separatedBy: "---\n").filter { !$0.isEmpty }
        let kinds = documents.compactMap { $0.split(separator: "\n").first { $0.hasPrefix("kind: ") }.map { String($0.dropFirst(6)) } }
        // Helm's install order, which apply uses: the Namespace first, the CRD before any workload.
        #expect(kinds.first == "Namespace", "\(kinds)")
        let crd = try #require(kinds.firstIndex(of: "CustomResourceDefinition"))
        #expect(crd < (kinds.firstIndex(of: "Deployment") ?? kinds.count), "\(kinds)")
        #expect(documents.allSatisfy { $0.hasPrefix("# Source: addons/openkruise/templates/") })
        #expect(documents[crd].hasPrefix("# Source: addons/openkruise/templates/crds.yaml\n"))
    }

    @Test func renderRejectsUnknownClusterOrDisabledAddon() throws {
        let unknown = try sluice("render", "--repo", exampleRepo.path, "--cluster", "prod-eu-9")
        #expect(unknown.status == 2)  // usage, as in every command
        #expect(unknown.stderr.contains("did you mean"))
        let disabled = try sluice("render", "--repo", exampleRepo.path, "--cluster", "test-2", "--addon", "ingress-nginx")
        #expect(disabled.status == 1)
    }
}
