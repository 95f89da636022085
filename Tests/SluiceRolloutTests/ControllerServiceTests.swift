import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceDrivers
import SluiceModel
@testable import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// The controller as a service (issue 18): the environments follow `sluice.yaml` at HEAD; a
/// graceful shutdown lets what is in flight finish; cancelling abandons it at once.
@Suite(.timeLimit(.minutes(10))) struct ControllerServiceTests {
    static let quiet = Logger(label: "sluice-test", factory: { _ in SwiftLogNoOpLogHandler() })

    func controller(_ scenario: FleetScenario, options: EnvironmentRunner.Options = FleetScenario.controllerOptions) -> Controller {
        Controller(location: scenario.repo.path, store: scenario.store, connector: scenario.connector, clock: scenario.clock, options: options,
                   cacheDirectory: scenario.stateFolder + "/cache", logger: Self.quiet)
    }

    /// Whether another writer could take the environment now.
    func isFree(_ environment: String, _ store: any StateStore) async throws -> Bool {
        do {
            let lease = try await store.lockEnvironment(environment, holder: "test")
            await lease.release()
            return true
        } catch {
            guard case .environmentLocked = error.kind else { throw error }
            return false
        }
    }

    /// Waits on the clock (as one of its participants) until `done` or a virtual day passes.
    func wait(_ scenario: FleetScenario, until done: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<1_440 {
            if try await done() { return true }
            try await scenario.clock.sleep(seconds: 60)
        }
        return try await done()
    }

    @Test func environmentsFollowSluiceYAMLAtHead() async throws {
        let scenario = try FleetScenario()
        let running = controller(scenario)
        let work = Task { try await running.run() }
        let store = scenario.store
        let staging = """
                - name: staging
                  branch: staging
                  clusters:
                    matchExpressions:
                      - {key: env, operator: In, values: [test, staging]}
                  pipeline: staging

            """
        var free: [Bool] = []
        await scenario.clock.enter()
        let converged = try await wait(scenario) { try await store.rollout(environment: "staging")?.phase == .done }
        free.append(try await isFree("staging", store))
        // Staging leaves the fleet at HEAD: its runner stops and lets its lease go.
        try scenario.edit("sluice.yaml", replacing: staging, with: "")
        try scenario.repo.commit("staging leaves the fleet")
        free.append(try await wait(scenario) { try await isFree("staging", store) })
        // It comes back: a runner takes it again.
        let without = try scenario.repo.read("sluice.yaml")
        try scenario.repo.write("sluice.yaml", without.replacingOccurrences(of: "  environments:\n", with: "  environments:\n" + staging))
        try scenario.repo.commit("staging is back")
        let retaken = try await wait(scenario) { try await !isFree("staging", store) }
        await scenario.clock.leave()
        work.cancel()
        let outcomes = try await work.value
        #expect(converged)
        #expect(free == [false, true])
        #expect(retaken)
        #expect(outcomes["staging"] == .stopped && outcomes["production"] == .stopped)
        // Stopped, both leases are free.
        #expect(try await isFree("staging", store))
        #expect(try await isFree("production", store))
    }

    /// A webhook or an API command nudges an environment: its runner reads the branch at once,
    /// not at its next interval (an hour here), and starts the new head at the nudge's time.
    @Test func aNudgeReadsTheBranchAtOnce() async throws {
        let scenario = try FleetScenario()
        var options = FleetScenario.controllerOptions
        options.intervalSeconds = 3600
        let running = controller(scenario, options: options)
        let work = Task { try await running.run() }
        await scenario.clock.enter()
        let converged = try await wait(scenario) { try await scenario.store.rollout(environment: "staging")?.phase == .done }
        // Time passes past the first poll: the next one is up to an hour away.
        try await scenario.clock.sleep(seconds: 600)
        let bump = try scenario.commitOnStaging("node-local-dns 1.24.1") {
            try scenario.edit("releases/2026-11-2.yaml", replacing: "k8s-dns-node-cache:1.24.0", with: "k8s-dns-node-cache:1.24.1")
        }
        let nudgedAt = await scenario.clock.now()
        running.nudges.nudge(environment: "staging")
        let started = try await wait(scenario) { try await scenario.store.rollout(environment: "staging")?.commit == bump }
        let rollout = try await scenario.store.rollout(environment: "staging")
        await scenario.clock.leave()
        work.cancel()
        _ = try await work.value
        #expect(converged && started)
        #expect(rollout?.startedAt == nudgedAt)
    }

    /// A broken `sluice.yaml` at HEAD never stops the environments that run.
    @Test func aBrokenSluiceYAMLAtHeadStopsNothing() async throws {
        let scenario = try FleetScenario()
        let running = controller(scenario)
        let work = Task { try await running.run() }
        await scenario.clock.enter()
        _ = try await wait(scenario) { try await scenario.store.rollout(environment: "staging")?.phase == .done }
        try scenario.repo.write("sluice.yaml", "apiVersion: sluice.dev/v1\nkind: Fleet\nspec: [\n")
        try scenario.repo.commit("broken")
        try await scenario.clock.sleep(seconds: 600)
        let stagingHeld = try await !isFree("staging", scenario.store)
        let productionHeld = try await !isFree("production", scenario.store)
        let held = stagingHeld && productionHeld
        await scenario.clock.leave()
        work.cancel()
        _ = try await work.value
        #expect(held)
    }

    /// A check whose program runs for an hour is in flight: a graceful shutdown of the group
    /// waits for it, cancelling the service abandons it at once, nothing of it recorded.
    @Test func cancellingTheServiceAbandonsWhatIsInFlight() async throws {
        let scenario = try FleetScenario()
        try scenario.commitOnStaging("a probe that takes an hour") {
            try scenario.repo.write("checks/probe.sh", "#!/bin/sh\nsleep 3600\n")
            try scenario.edit("policies/fleet.yaml", replacing: "    - ./checks/dns-probe.sh", with: "    - ./checks/dns-probe.sh\n    - ./checks/probe.sh")
            try scenario.edit("pipelines/staging.yaml", replacing: "  checks:\n    healthy:",
                              with: "  checks:\n    probe:\n      type: command\n      command: ./checks/probe.sh\n      timeout: 2h\n    healthy:")
            try scenario.edit("pipelines/staging.yaml", replacing: "        post: [healthy]\n", with: "        post: [healthy, probe]\n")
        }
        // One-shot flags: the probe was seen running; the test may go on (never waits forever).
        let probeRuns = Abandonment(), goOn = Abandonment()
        var options = FleetScenario.controllerOptions
        options.observer = { state, _ in
            if state.checks.contains(where: { $0.id.name == "probe" && $0.status == .running }) { probeRuns.fire() }
            if probeRuns.isFired || (state.environment == "staging" && state.phase.isFinal) { goOn.fire() }
        }
        let service = ControllerService(controller(scenario, options: options))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: Self.quiet))
        let work = Task { try await group.run() }
        // The probe runs: a graceful shutdown waits for it (an hour of real time), so cancel.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in goOn.onFire { continuation.resume() } }
        #expect(probeRuns.isFired)
        await group.triggerGracefulShutdown()
        work.cancel()
        try await work.value
        guard case .success(let outcomes)? = service.outcome else { Issue.record("no outcome: \(String(describing: service.outcome))"); return }
        #expect(outcomes["staging"] == .stopped)
        // Nothing of the probe's answer is recorded: it is asked again after a restart.
        #expect(try await scenario.rolloutState("staging")?.checks.contains { $0.id.name == "probe" && $0.status == .running } == true)
    }

    /// A graceful shutdown of the group stops the controller as cancelling it does: every
    /// environment stops, state saved, leases released.
    @Test func aGracefulShutdownStopsEveryEnvironment() async throws {
        let scenario = try FleetScenario()
        let service = ControllerService(controller(scenario))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [service], logger: Self.quiet))
        let work = Task { try await group.run() }
        await scenario.clock.enter()
        _ = try await wait(scenario) { try await scenario.store.rollout(environment: "production")?.phase == .awaitingApproval }
        await scenario.clock.leave()
        await group.triggerGracefulShutdown()
        try await work.value
        guard case .success(let outcomes)? = service.outcome else { Issue.record("no outcome: \(String(describing: service.outcome))"); return }
        #expect(outcomes == ["staging": .stopped, "production": .stopped])
        #expect(try await scenario.store.rollout(environment: "staging")?.phase == .done)
        #expect(try await isFree("staging", scenario.store))
        #expect(try await isFree("production", scenario.store))
    }
}
