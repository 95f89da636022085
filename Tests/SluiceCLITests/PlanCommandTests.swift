import Foundation
import SluiceTestSupport
import Testing

/// `sluice plan` and `sluice apply` as a pull-request bot and an operator meet them: exit
/// codes like `terraform plan -detailed-exitcode`, the JSON a bot posts, plain text when piped.
@Suite(.timeLimit(.minutes(10))) struct PlanCommandTests {
    let repo: TestRepository
    let state: String

    init() throws {
        repo = try TestRepository.exampleFleet()
        state = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cli-\(UUID().uuidString).db").path
    }

    func sluice(_ arguments: String...) throws -> ProcessResult {
        try ProcessResult.run(ProjectPaths.sluiceBinary, arguments)
    }

    @Test func planExitsFourWithChangesAndZeroOnceApplied() throws {
        let cold = try sluice("plan", "--repo", repo.path, "--state", state, "--env", "staging")
        #expect(cold.status == 4, "\(cold.stderr)")
        #expect(cold.stdout.contains("environment staging (branch staging, pipeline staging): "))
        #expect(cold.stdout.contains("      cluster test-1: "))
        #expect(cold.stdout.contains("+ create Deployment kube-system/coredns (apps/v1)"))
        #expect(!cold.stdout.contains("\u{1B}["))  // piped: no colour

        let apply = try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--virtual-time")
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("add-ons recorded"))

        let again = try sluice("plan", "--repo", repo.path, "--state", state, "--env", "staging")
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        #expect(again.stdout.contains("Plan: no changes"))
        // The planner's counters are for JSON, not for a reviewer (issue 11).
        #expect(!again.stdout.contains("pairs rendered") && !cold.stdout.contains("not rendered"))
    }

    /// `--kubeconfig` is where a kubernetes cluster's context is looked up; a context it does
    /// not have is named with the cluster file, the cluster is unreachable (the plan is not
    /// clean: exit 4, and apply refuses), and no credential of the file is printed.
    @Test func aKubernetesClusterIsReachedThroughTheKubeconfigGiven() throws {
        let cluster = repo.path + "/clusters/test-1.yaml"
        let text = try String(contentsOfFile: cluster, encoding: .utf8)
        try text.replacingOccurrences(of: "    simulated:\n      nodes: 3\n", with: "    kubernetes:\n      context: test-1\n")
            .write(toFile: cluster, atomically: true, encoding: .utf8)
        try repo.commit("test-1 is real")
        try repo.git("branch", "-f", "staging", "HEAD")
        let kubeconfig = state + ".kubeconfig"
        defer { try? FileManager.default.removeItem(atPath: kubeconfig) }
        try """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: do-not-print-me}}]
            contexts: [{name: prod-eu-1, context: {cluster: c, user: u}}]
            """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
        let plan = try sluice("plan", "--repo", repo.path, "--state", state, "--env", "staging", "--cluster", "test-1", "--kubeconfig", kubeconfig)
        #expect(plan.status == 4)
        #expect(plan.stdout.contains("clusters/test-1.yaml: cluster \"test-1\", context \"test-1\""))
        #expect(!plan.stdout.contains("do-not-print-me") && !plan.stderr.contains("do-not-print-me"))
        let apply = try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--cluster", "test-1",
                               "--kubeconfig", kubeconfig, "--virtual-time")
        #expect(apply.status == 1)
    }

    @Test func planJSONIsStable() throws {
        _ = try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--virtual-time")
        let text = try repo.read("releases/2026-11-2.yaml").replacingOccurrences(of: "coredns:v1.11.4", with: "coredns:v1.11.5")
        try repo.write("releases/2026-11-2.yaml", text)
        let commit = try repo.commit("bump coredns")
        try repo.git("branch", "-f", "staging", "HEAD")
        let result = try sluice("plan", "--repo", repo.path, "--state", state, "--env", "staging", "--output", "json")
        #expect(result.status == 4)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["commit"] as? String == commit)
        #expect(Set(json.keys) == ["schemaVersion", "commit", "summary", "environments", "statistics"])
        #expect(json["schemaVersion"] as? Int == 1)
        let environment = try #require((json["environments"] as? [[String: Any]])?.first)
        #expect(environment["name"] as? String == "staging")
        let stage = try #require((environment["stages"] as? [[String: Any]])?.first)
        let batch = try #require((stage["batches"] as? [[String: Any]])?.first)
        #expect(batch["number"] as? Int == 1 && batch["step"] as? String == "1")
        let cluster = try #require((batch["clusters"] as? [[String: Any]])?.first)
        let addon = try #require((cluster["addons"] as? [[String: Any]])?.first)
        #expect(addon["name"] as? String == "coredns")
        let object = try #require((addon["objects"] as? [[String: Any]])?.first)
        #expect(object["action"] as? String == "update")
        #expect(object["kind"] as? String == "Deployment" && object["namespace"] as? String == "kube-system")
        #expect((object["diff"] as? String)?.contains("+        image: registry.k8s.io/coredns/coredns:v1.11.5") == true)
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["update"] as? Int == 4)
        // Same commit, same store: the same bytes.
        let twice = try sluice("plan", "--repo", repo.path, "--state", state, "--env", "staging", "--output", "json")
        #expect(twice.stdout == result.stdout)
    }

    @Test func invalidCommitsAndUnknownNamesExitOneAndTwo() throws {
        let unknown = try sluice("plan", "--repo", repo.path, "--state", state, "--env", "prod")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no environment named \"prod\""))
        try repo.write("clusters/test-1.yaml", try repo.read("clusters/test-1.yaml").replacingOccurrences(of: "release: 2026-11-2", with: "release: 2026-11-9"))
        try repo.commit("bad release")
        try repo.git("branch", "-f", "staging", "HEAD")
        let invalid = try sluice("plan", "--repo", repo.path, "--state", state)
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("clusters/test-1.yaml:12:12: "))
        let apply = try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--virtual-time")
        #expect(apply.status == 1)
        #expect(try sluice("plan", "--repo", repo.path, "--state", state, "--rev", "HEAD~1", "--env", "staging").status == 4)
    }

    /// `--env E` plans and applies the head of E's branch; a `--rev` that is not on it is
    /// refused by `apply` unless `--force`.
    @Test func anEnvironmentMeansItsBranchHead() throws {
        let stagingHead = try repo.git("rev-parse", "staging").trimmingCharacters(in: .whitespacesAndNewlines)
        try repo.write("releases/2026-11-2.yaml", try repo.read("releases/2026-11-2.yaml").replacingOccurrences(of: "coredns:v1.11.4", with: "coredns:v1.11.5"))
        let mainOnly = try repo.commit("bump on main only")
        let plan = try sluice("plan", "--repo", repo.path, "--state", state, "--env", "staging", "--output", "json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(plan.stdout.utf8)) as? [String: Any])
        #expect(json["commit"] as? String == stagingHead)
        let refused = try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--rev", mainOnly, "--virtual-time")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("is not on branch staging"))
        let nothing = try sluice("history", "--repo", repo.path, "--state", state)
        #expect(nothing.stdout.isEmpty)
        let forced = try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--rev", mainOnly, "--virtual-time", "--force")
        #expect(forced.status == 0, "\(forced.stderr)")
    }

    /// Re-running `apply` after a health failure neither records the broken add-on nor exits 0.
    @Test func aBrokenAddonIsNotRecordedWhenApplyIsRunAgain() throws {
        try repo.git("checkout", "-q", "staging")
        try repo.write("releases/2026-11-2.yaml", try repo.read("releases/2026-11-2.yaml").replacingOccurrences(of: "coredns:v1.11.4", with: "coredns:v1.11.4-broken"))
        try repo.commit("broken coredns")
        try repo.git("checkout", "-q", "main")
        let first = try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--cluster", "test-1", "--virtual-time")
        #expect(first.status == 3)
        let again = try sluice("apply", "--repo", repo.path, "--state", state, "--env", "staging", "--cluster", "test-1", "--virtual-time")
        #expect(again.status == 3, "\(again.stdout)\(again.stderr)")
        let plan = try sluice("plan", "--repo", repo.path, "--state", state, "--env", "staging", "--cluster", "test-1")
        #expect(!plan.stdout.contains("Plan: no changes"))
        let history = try sluice("history", "--repo", repo.path, "--state", state, "--addon", "coredns", "--output", "json")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(history.stdout.utf8)) as? [[String: Any]])
        #expect(!events.contains { ($0["detail"] as? String)?.hasPrefix("applied") == true })
    }
}
