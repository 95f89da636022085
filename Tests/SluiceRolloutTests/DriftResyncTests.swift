import Foundation
import Logging
import SluiceCore
import SluiceDrivers
import SluiceModel
import SluiceYAML
import SluiceQueries
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

    static let fluentBitConfig = ObjectKey(group: "", kind: "ConfigMap", namespace: "logging", name: "fluent-bit")

    /// Someone scales coredns and adds a sidecar whose image never starts: the correction sets
    /// the replicas back, but the sidecar (never Sluice's) keeps its pods from getting ready.
    /// fluent-bit, which depends on coredns, has its configuration edited.
    func breakCoreDNS(_ scenario: FleetScenario, cluster name: String) async throws -> any ClusterDriver {
        let driver = try await tamper(scenario, cluster: name)
        let live = try #require(try await driver.get(Self.coredns))
        var containers = live.at(["spec", "template", "spec", "containers"])?.listValue ?? []
        containers.append(.map(["name": .string("debug"), "image": .string("busybox:1.37-broken")]))
        _ = try await driver.patch(Self.coredns, mergePatch: .map(["spec": .map(["template": .map(["spec": .map(["containers": .list(containers)])])])]))
        _ = try await driver.patch(Self.fluentBitConfig, mergePatch: .map(["data": .map(["fluent-bit.conf": .string("edited by hand")])]))
        return driver
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
        let scenario = try await FleetScenario.correctingDriftInStaging()
        let driver = try await tamper(scenario, cluster: "stg-us-1")
        // Another cluster that cannot be reached does not stop the correction.
        await scenario.network.cut("test-1")
        try await scenario.runController(options: options())
        let expected = try #require(try await scenario.plan().repository.clusters["stg-us-1"]?.addonValues["coredns"]?.value.at("replicas"))
        #expect(try await replicas(driver) == expected)
        #expect(try await scenario.store.drift(environment: "staging").isEmpty)
        #expect(try await scenario.history(environment: "staging").contains { $0.outcome == .driftCorrected })
    }

    @Test func aCorrectionWaitsForHealthOnTimersAndLeavesDependentsOfAPairThatDidNotGetHealthy() async throws {
        let scenario = try await FleetScenario.correctingDriftInStaging()
        let driver = try await breakCoreDNS(scenario, cluster: "stg-us-1")
        let before = try await scenario.store.applied(environment: "staging", cluster: "stg-us-1", addon: "coredns")
        let started = await scenario.clock.now()
        let outcomes = try await scenario.runController(options: options())
        #expect(outcomes["staging"] == .converged)
        // coredns was applied again (its replicas are back) and watched for its 10m health
        // timeout in virtual time; it never got healthy, so it is not recorded again and
        // stays marked; fluent-bit, after it, was not touched.
        let expected = try #require(try await scenario.plan().repository.clusters["stg-us-1"]?.addonValues["coredns"]?.value.at("replicas"))
        #expect(try await replicas(driver) == expected)
        #expect(await scenario.clock.now().timeIntervalSince(started) >= 600)
        let after = try await scenario.store.applied(environment: "staging", cluster: "stg-us-1", addon: "coredns")
        #expect(after?.appliedAt == before?.appliedAt)
        #expect(after?.pending == before?.commit)
        #expect(try await driver.get(Self.fluentBitConfig)?.at(["data", "fluent-bit.conf"]) == .string("edited by hand"))
        // Both stay findings, and the history says neither was corrected.
        let drift = try await scenario.store.drift(environment: "staging")
        #expect(drift.map { "\($0.cluster)/\($0.addon)" } == ["stg-us-1/coredns", "stg-us-1/fluent-bit"])
        #expect(drift.allSatisfy { !$0.corrected })
        let events = try await scenario.history(environment: "staging").filter { $0.kind == .drift }
        #expect(events.map(\.outcome) == [.driftFound, .driftFound])
    }

    @Test func aCorrectionGivesWayToANewerHead() async throws {
        let scenario = try await FleetScenario.correctingDriftInStaging()
        let driver = try await breakCoreDNS(scenario, cluster: "stg-us-1")
        let expected = try #require(try await scenario.plan().repository.clusters["stg-us-1"]?.addonValues["coredns"]?.value.at("replicas"))
        var options = options()
        options.untilIdle = true
        let controller = Controller(location: scenario.repo.path, store: scenario.store, connector: scenario.connector, clock: scenario.clock,
                                    options: options, cacheDirectory: scenario.stateFolder + "/cache",
                                    logger: Logger(label: "sluice-test", factory: { _ in SwiftLogNoOpLogHandler() }))
        // Time stands still while this test is on the clock and does not sleep: the controller
        // looks for drift and applies the correction at once (no timer is due before that),
        // then watches coredns, which cannot get healthy, until the test lets time go on.
        await scenario.clock.enter()
        let work = Task { try await controller.run() }
        var applied = false
        while !applied {
            applied = try await replicas(driver) == expected
            if !applied { await Task.yield() }
        }
        let newer = await scenario.clock.now()
        try scenario.edit("releases/2026-11-2.yaml", replacing: "metrics-server:v0.7.2", with: "metrics-server:v0.7.3")
        try scenario.repo.commit("a newer metrics-server")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        await scenario.clock.leave()
        let outcomes = try await work.value
        #expect(applied)
        // The newer head was rolled out without waiting for coredns's health timeout. Its
        // rollout applies coredns too (at the newer commit), finds it unhealthy and halts: the
        // cluster really is broken.
        #expect(outcomes["staging"] == .halted)
        let rollout = try #require(try await scenario.store.rollout(environment: "staging"))
        #expect(rollout.commit == scenario.head)
        #expect(rollout.startedAt.timeIntervalSince(newer) < 300)
        // coredns was reported, not corrected, when the correction gave way: before the
        // newer rollout started (the two never apply at once).
        let coredns = try await scenario.history(environment: "staging").filter { $0.kind == .drift && $0.cluster == "stg-us-1" && $0.addon == "coredns" }
        #expect(coredns.map(\.outcome) == [.driftFound])
        #expect(coredns.allSatisfy { $0.at <= rollout.startedAt })
    }

    @Test func aReSyncThatCannotPlanLeavesTheFindingsAsTheyAre() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        _ = try await tamper(scenario, cluster: "stg-us-1")
        try await scenario.runController(options: options())
        let found = try await scenario.store.drift(environment: "staging")
        #expect(found.count == 1)
        // The next re-sync cannot read the records it plans with: it says so, and what the
        // last one found stands (a failed look is not "no drift").
        let failing = CountingStore(scenario.store)
        failing.failing.withLock { $0["applied"] = (StoreError("disk I/O error (injected)"), 1_000) }
        try await scenario.runController(options: options(), store: failing)
        #expect(try await scenario.store.drift(environment: "staging") == found)
        let staging = try await scenario.history(environment: "staging")
        #expect(staging.last { $0.kind == .drift }?.outcome == .driftResyncFailed)
    }
}
