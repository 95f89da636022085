import Foundation
import Logging
import Prometheus
import SluiceCore
import SluiceQueries
import SluiceRollout
import SluiceServer
import SluiceTestSupport
import Testing

/// `/metrics`: what the controller counted, in Prometheus's text format, with bounded labels.
@Suite(.timeLimit(.minutes(10))) struct MetricsTests {
    /// The value of the sample `name{labels...}` (labels in any order), nil when absent.
    static func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
            let head = line.prefix { $0 != " " }
            guard head.prefix { $0 != "{" } == name[...] else { continue }
            guard labels.allSatisfy({ head.contains("\($0.key)=\"\($0.value)\"") }) else { continue }
            return line.split(separator: " ").last.flatMap { Double($0) }
        }
        return nil
    }

    @Test func theControllersCountsMatchItsHistory() async throws {
        let scenario = try FleetScenario()
        let (registry, factory) = ServerMetrics.make(version: "test")
        var options = FleetScenario.controllerOptions
        options.metrics = ControllerMetrics(factory: factory)
        _ = try await scenario.runController(options: options)
        let text = registry.emitToString()
        let history = try await scenario.history(environment: "staging")
        let applied = history.filter { $0.outcome == .applied }.count
        #expect(applied > 0)
        #expect(Self.sample(text, "sluice_applies_total", ["environment": "staging", "result": "applied"]) == Double(applied))
        let passed = history.filter { $0.outcome == .checkPassed && $0.detail.hasPrefix("check healthy ") }.count
        #expect(Self.sample(text, "sluice_check_results_total", ["environment": "staging", "check": "healthy", "result": "passed"]) == Double(passed))
        #expect(Self.sample(text, "sluice_rollout_info", ["environment": "staging", "phase": "done"]) == 1)
        #expect(Self.sample(text, "sluice_rollout_info", ["environment": "staging", "phase": "running"]) == 0)
        #expect(Self.sample(text, "sluice_rollout_info", ["environment": "production", "phase": "awaitingApproval"]) == 1)
        let total = try #require(Self.sample(text, "sluice_rollout_clusters_total", ["environment": "staging"]))
        #expect(Self.sample(text, "sluice_rollout_clusters_done", ["environment": "staging"]) == total)
        // The runners have stopped: this process leads nothing any more.
        #expect(Self.sample(text, "sluice_leader", ["environment": "staging"]) == 0)
        #expect(Self.sample(text, "sluice_build_info", ["version": "test"]) == 1)
        #expect((Self.sample(text, "sluice_store_transaction_duration_seconds_count") ?? 0) > 0)
        #expect((Self.sample(text, "sluice_git_fetch_duration_seconds_count") ?? 0) > 0)
        // Durations are bucketed up to half an hour: a check may take minutes.
        #expect(Self.sample(text, "sluice_action_duration_seconds_bucket", ["environment": "staging", "action": "apply", "le": "1800.0"]) != nil)
        // No commit id and no cluster name as a label.
        #expect(!text.contains(scenario.head) && !text.contains(String(scenario.head.prefix(12))))
        #expect(!text.contains("cluster=") && !text.contains("test-1"))
    }

    @Test func theRouteShowsTheRegistryWithWebhookDeliveries() async throws {
        let scenario = try FleetScenario()
        let (registry, factory) = ServerMetrics.make(version: "test")
        let settings = ServerSettings(host: "127.0.0.1", port: 0, webhookSecret: Array(WebhookTests.secret.utf8))
        let handler = APIHandler(store: scenario.store, models: CommitModels(location: scenario.repo.path), nudges: Nudges(), pulse: ControllerPulse(),
                                 clock: scenario.clock, settings: settings, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                                 registry: registry, metricsFactory: factory)
        _ = await handler.handle(APIRequest(method: "POST", path: "/webhooks/github", headers: ["X-GitHub-Event": "push"], body: Array("{}".utf8)))
        let response = await handler.handle(APIRequest(method: "GET", path: "/metrics"))
        #expect(response.status == 200 && response.headers["Content-Type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(Self.sample(text, "sluice_webhook_deliveries_total", ["provider": "github", "result": "unauthorized"]) == 1)
        let without = APIHandler(store: scenario.store, models: CommitModels(location: scenario.repo.path), nudges: Nudges(), pulse: ControllerPulse(),
                                 clock: scenario.clock, settings: settings, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        #expect(await without.handle(APIRequest(method: "GET", path: "/metrics")).status == 404)
    }
}
