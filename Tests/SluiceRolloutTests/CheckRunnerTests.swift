import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// Checks against real servers on 127.0.0.1: a Prometheus that scrapes a metric with a known
/// value, and an HTTP server; plus the command allow-list.
@Suite(.serialized, .timeLimit(.minutes(10))) struct CheckRunnerTests {
    /// A fleet whose `test-1` sends its checks to the network, with checks pointing at `base`.
    func scenario(http url: String, prometheus: String, threshold: String) throws -> FleetScenario {
        let scenario = try FleetScenario()
        try scenario.edit("clusters/test-1.yaml", replacing: "nodes: 3", with: "nodes: 3\n      probes: real")
        try scenario.edit("pipelines/staging.yaml", replacing: "url: https://smoke.staging.example.com/healthz", with: "url: \(url)")
        let errors = "  checks:\n    errors:\n      type: prometheus\n      url: \(prometheus)\n      query: sluice_test_error_ratio\n"
            + "      threshold: \"\(threshold)\"\n      timeout: 5s\n    healthy:"
        try scenario.edit("pipelines/staging.yaml", replacing: "  checks:\n    healthy:", with: errors)
        try scenario.edit("pipelines/staging.yaml", replacing: "post: [healthy]", with: "post: [healthy, errors]")
        try scenario.repo.commit("real probes")
        return scenario
    }

    func run(_ scenario: FleetScenario, _ name: String, cluster: String = "test-1", environment: String = "staging") async throws -> CheckOutcome {
        let repository = try await scenario.plan().repository
        let runner = CheckRunner(store: scenario.store, connector: scenario.connector, clock: scenario.clock, gitPath: scenario.repo.path)
        return await runner.run(CheckID(name: name, phase: .post, cluster: cluster),
                                CheckRunner.Context(environment: environment, stage: "test", commit: scenario.head, repository: repository))
    }

    @Test func prometheusAndHTTPChecksAgainstRealServers() async throws {
        let site = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-site-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: site) }
        try "ok\n".write(toFile: site + "/healthz", atomically: true, encoding: .utf8)
        try "# TYPE sluice_test_error_ratio gauge\nsluice_test_error_ratio 0.005\n".write(toFile: site + "/metrics", atomically: true, encoding: .utf8)
        let web = try LocalServer("/usr/bin/python3", ["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"], directory: site)
        defer { web.stop() }
        let serving = try web.waitForLine(containing: "Serving HTTP on")
        let port = try #require(serving.split(separator: " ").firstIndex(of: "port").map { serving.split(separator: " ")[$0 + 1] }.map(String.init))

        try """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: site
                static_configs: [{targets: ["127.0.0.1:\(port)"]}]
            """.write(toFile: site + "/prometheus.yml", atomically: true, encoding: .utf8)
        let prometheus = try LocalServer("/usr/bin/prometheus", ["--config.file=\(site)/prometheus.yml", "--storage.tsdb.path=\(site)/data",
                                                                 "--web.listen-address=127.0.0.1:0"])
        defer { prometheus.stop() }
        // Port 0: the system picks a free port as Prometheus binds it, and Prometheus says which.
        let listening = try prometheus.waitForLine(containing: "msg=\"Listening on\"")
        let promPort = try #require(listening.split(separator: ":").last.map { String($0.prefix { $0.isNumber }) }.flatMap { Int($0) })
        try prometheus.waitForLine(containing: "Server is ready to receive web requests")
        // Two scrapes seen by the site: the first one's samples are stored.
        try web.waitForLine(containing: "GET /metrics")
        try web.waitForLine(containing: "GET /metrics")

        let passing = try scenario(http: "http://127.0.0.1:\(port)/healthz", prometheus: "http://127.0.0.1:\(promPort)", threshold: "< 0.01")
        guard case .passed(let detail) = try await run(passing, "errors") else {
            Issue.record("prometheus check did not pass: \(try await run(passing, "errors"))")
            return
        }
        #expect(detail.contains("0.005"))
        if case .passed = try await run(passing, "ingress-smoke") {} else { Issue.record("http check did not pass") }

        let failing = try scenario(http: "http://127.0.0.1:\(port)/missing", prometheus: "http://127.0.0.1:\(promPort)", threshold: "< 0.001")
        if case .failed = try await run(failing, "errors") {} else { Issue.record("prometheus threshold did not fail") }
        if case .failed = try await run(failing, "ingress-smoke") {} else { Issue.record("http 404 did not fail") }

        // The whole environment with its real checks: staging converges.
        try passing.repo.git("branch", "-f", "staging", "HEAD")
        let outcomes = try await passing.runController()
        #expect(outcomes["staging"] == .converged)
        #expect(try await passing.history(environment: "staging").contains { $0.kind == .check && $0.cluster == "test-1" && $0.detail.contains("sluice_test_error_ratio = 0.005") })
    }

    @Test func simulatedProbesPassOnHealthyClustersAndFailOnBrokenOnes() async throws {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        if case .passed = try await run(scenario, "ingress-smoke", cluster: "stg-us-1") {} else { Issue.record("simulated http did not pass") }
        // example-repo's production checks, on a healthy simulated cluster.
        for name in ["apiserver-errors", "dns-probe", "healthy"] {
            if case .passed = try await run(scenario, name, cluster: "stg-us-1", environment: "production") {} else { Issue.record("\(name) did not pass") }
        }
        try scenario.repo.git("checkout", "-q", "staging")
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns:v1.11.4", with: "coredns:v1.11.4-broken")
        try scenario.repo.commit("broken")
        _ = try? await scenario.apply(env: "staging", cluster: "stg-us-1")
        if case .failed = try await run(scenario, "ingress-smoke", cluster: "stg-us-1") {} else { Issue.record("simulated http did not fail") }
        if case .failed = try await run(scenario, "healthy", cluster: "stg-us-1") {} else { Issue.record("health did not fail") }
        for name in ["apiserver-errors", "dns-probe"] {
            if case .failed = try await run(scenario, name, cluster: "stg-us-1", environment: "production") {} else { Issue.record("\(name) did not fail") }
        }
    }

    @Test func aCommandRunsOnlyWhenAPolicyAllowsIt() async throws {
        let scenario = try FleetScenario()
        try scenario.edit("pipelines/staging.yaml", replacing: "  checks:\n    healthy:", with: "  checks:\n    probe:\n      type: command\n      command: ./checks/dns-probe.sh\n    other:\n      type: command\n      command: /bin/true\n    healthy:")
        try scenario.repo.commit("command checks")
        try await scenario.applyAll()
        guard case .passed(let detail) = try await run(scenario, "probe") else { Issue.record("allowed command did not pass"); return }
        #expect(detail.contains("probing DNS on test-1"))
        if case .failed(let why) = try await run(scenario, "other") { #expect(why.contains("not allowed")) } else { Issue.record("/bin/true ran") }
        // Without the policy's allow-list the repo's own script does not run either (validate
        // refuses such a commit; the runner refuses too, whatever model it is handed).
        var repository = try await scenario.plan().repository
        for index in repository.policies.indices { repository.policies[index].allowedCommands = [] }
        let runner = CheckRunner(store: scenario.store, connector: scenario.connector, clock: scenario.clock, gitPath: scenario.repo.path)
        let outcome = await runner.run(CheckID(name: "probe", phase: .post, cluster: "test-1"),
                                       CheckRunner.Context(environment: "staging", stage: "test", commit: scenario.head, repository: repository))
        if case .failed = outcome {} else { Issue.record("a script no policy allows ran") }
    }
}
