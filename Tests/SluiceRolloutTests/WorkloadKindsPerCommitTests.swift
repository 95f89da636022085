import Foundation
import SluiceModel
import SluicePlan
import SluiceRollout
import SluiceTestSupport
import Testing

/// Custom workload kinds travel with the commit being planned and applied: planning one
/// environment's commit never changes what another environment, at another commit, treats
/// as a workload (an unknown kind has no status, so its health and partition gates would be
/// skipped).
@Suite(.timeLimit(.minutes(10))) struct WorkloadKindsPerCommitTests {
    /// An add-on `name` whose one object is of the custom kind `kind`, described in its
    /// `spec.workloads`, in every cluster's release.
    static func addComponent(_ scenario: FleetScenario, name: String, kind: String, image: String) throws {
        let folder = scenario.repo.path + "/addons/\(name)"
        try FileManager.default.createDirectory(atPath: folder + "/templates", withIntermediateDirectories: true)
        try """
            apiVersion: sluice.dev/v1
            kind: Addon
            metadata: {name: \(name)}
            spec:
              namespace: kube-system
              health: {timeout: 10m}
              workloads:
                - apiVersion: kubenode.alibabacloud.com/v1
                  kind: \(kind)
                  partition: spec.updateStrategy.partition
                  replicas: perNode
                  status: {desired: status.desiredNumber, updated: status.updatedNumber, ready: status.readyNumber, updatedReady: status.updatedReadyNumber}
            """.write(toFile: folder + "/addon.yaml", atomically: true, encoding: .utf8)
        try """
            apiVersion: kubenode.alibabacloud.com/v1
            kind: \(kind)
            metadata: {name: \(name)}
            spec:
              template: {spec: {containers: [{name: \(name), image: "{{ .Images.main }}"}]}}
              updateStrategy: {maxUnavailable: 1, partition: 0}
            """.write(toFile: folder + "/templates/set.yaml", atomically: true, encoding: .utf8)
        for release in ["releases/2026-11-1.yaml", "releases/2026-11-2.yaml"] {
            try scenario.edit(release, replacing: "  addons:\n", with: "  addons:\n    \(name): {version: \"1\", images: {main: \"\(image)\"}}\n")
        }
    }

    /// Production's commit describes `ComponentSetA`, staging's `ComponentSetB`; each bumps its
    /// component to an image that never gets ready. Whichever environment was planned last,
    /// each apply waits for its own kind's pods and fails its health gate.
    @Test func twoEnvironmentsAtCommitsWithDifferentWorkloadsBothKeepTheirGates() async throws {
        let scenario = try FleetScenario()
        try Self.addComponent(scenario, name: "comp-a", kind: "ComponentSetA", image: "registry.example.com/comp-a:1")
        try scenario.repo.commit("comp-a")
        try scenario.repo.git("checkout", "-q", "-B", "staging", "main~1")
        try Self.addComponent(scenario, name: "comp-b", kind: "ComponentSetB", image: "registry.example.com/comp-b:1")
        try scenario.repo.commit("comp-b")
        try await scenario.apply(rev: "staging", env: "staging")
        try scenario.repo.git("checkout", "-q", "main")
        try await scenario.apply(rev: "main", env: "production")

        try scenario.edit("releases/2026-11-1.yaml", replacing: "comp-a:1", with: "comp-a:2-broken")
        try scenario.repo.commit("comp-a broken")
        try scenario.repo.git("checkout", "-q", "staging")
        try scenario.edit("releases/2026-11-2.yaml", replacing: "comp-b:1", with: "comp-b:2-broken")
        try scenario.repo.commit("comp-b broken")
        try scenario.repo.git("checkout", "-q", "main")

        // Production planned first, then staging: production's apply judges ComponentSetA.
        let production = try await scenario.plan(rev: "main", env: "production", cluster: "prod-us-1", keepSteps: true)
        let staging = try await scenario.plan(rev: "staging", env: "staging", cluster: "test-1", keepSteps: true)
        let productionReport = try await PlanApplier(store: scenario.store, connector: scenario.connector, clock: scenario.clock)
            .apply(production)
        #expect(productionReport.failures.map(\.addon) == ["comp-a"])
        // And the other way round: staging's apply, after production was planned again.
        _ = try await scenario.plan(rev: "main", env: "production", cluster: "prod-us-1", keepSteps: true)
        let stagingReport = try await PlanApplier(store: scenario.store, connector: scenario.connector, clock: scenario.clock)
            .apply(staging)
        #expect(stagingReport.failures.map(\.addon) == ["comp-b"])
        let outcomes = try await scenario.history().filter { $0.addon == "comp-a" || $0.addon == "comp-b" }.compactMap(\.outcome)
        #expect(outcomes.filter { $0 == .healthNoProgress }.count == 2)
    }
}
