import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluiceYAML
import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// Periodic re-sync: live objects of recorded pairs compared with their recorded commit;
/// drift reported, and corrected only where the environment says so.
@Suite(.timeLimit(.minutes(10))) struct DriftResyncTests {
    static let coredns = ObjectKey(group: "apps", kind: "Deployment", namespace: "kube-system", name: "coredns")

    func tamper(_ scenario: FleetScenario, cluster name: String) async throws -> any ClusterDriver {
        let cluster = try #require(try await scenario.plan().repository.clusters[name])
        let driver = try await scenario.connector.driver(for: cluster)
        _ = try await driver.patch(Self.coredns, mergePatch: .map(["spec": .map(["replicas": .int(9)])]))
        return driver
    }

    func replicas(_ driver: any ClusterDriver) async throws -> Value? {
        try await driver.get(Self.coredns)?.at(["spec", "replicas"])
    }

    func options() -> EnvironmentRunner.Options {
        var options = FleetScenario.controllerOptions
        options.resyncSeconds = 600
        return options
    }

    @Test func driftIsReportedAndLeftAloneByDefault() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        let driver = try await tamper(scenario, cluster: "stg-us-1")
        let outcomes = try await scenario.runController(options: options())
        #expect(outcomes["staging"] == .converged)
        let drift = try await scenario.store.drift(environment: "staging")
        #expect(drift.map { "\($0.cluster)/\($0.addon)" } == ["stg-us-1/coredns"])
        #expect(drift.first?.detail.contains("update Deployment kube-system/coredns") == true)
        #expect(try await scenario.history(environment: "staging").contains { $0.kind == .drift && $0.cluster == "stg-us-1" })
        #expect(try await replicas(driver) == .int(9))
        let status = try await StatusReport.make(store: scenario.store, repository: scenario.repo.path, environment: "staging", now: await scenario.clock.now())
        #expect(status.environments.first?.drift.count == 1)
        // Nothing else drifted: no finding on the production clusters.
        #expect(try await scenario.store.drift(environment: "production").isEmpty)
    }

    @Test func driftIsCorrectedWhereTheEnvironmentAsks() async throws {
        let scenario = try FleetScenario()
        try scenario.edit("sluice.yaml", replacing: "      pipeline: staging", with: "      pipeline: staging\n      drift: correct")
        try scenario.repo.commit("staging corrects drift")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        try await scenario.converge()
        let driver = try await tamper(scenario, cluster: "stg-us-1")
        // Another cluster that cannot be reached does not stop the correction.
        await scenario.network.cut("test-1")
        try await scenario.runController(options: options())
        let expected = try #require(try await scenario.plan().repository.clusters["stg-us-1"]?.addonValues["coredns"]?.value.at("replicas"))
        #expect(try await replicas(driver) == expected)
        #expect(try await scenario.store.drift(environment: "staging").isEmpty)
        #expect(try await scenario.history(environment: "staging").contains { $0.outcome == .driftCorrected })
    }
}
