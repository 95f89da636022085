import Foundation
import SluiceCore
import SluiceDrivers
import SluiceModel
@testable import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// Paths no test took before (issue 17): the scaled clock `make run` uses, command checks that
/// time out or cannot start, the Prometheus answer's error paths, a branch watcher on a URL
/// that keeps its heads when a fetch fails.
@Suite(.timeLimit(.minutes(10))) struct UntestedPathsTests {
    /// 10^6 times real time: an hour of the rollout's time passes in 3.6 ms.
    @Test func theScaledClockRunsFasterAndSleepsOnItsOwnTime() async throws {
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let clock = ScaledClock(start: start, scale: 1_000_000)
        let first = await clock.now()
        #expect(first >= start)
        try await clock.sleep(until: first.addingTimeInterval(3600))
        #expect(await clock.now() >= first.addingTimeInterval(3600))
        // A time already past returns at once; a cancelled sleep throws.
        try await clock.sleep(until: start)
        let task = Task { try await clock.sleep(until: start.addingTimeInterval(1e12)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    func commandScenario(_ script: String) throws -> FleetScenario {
        let scenario = try FleetScenario()
        try scenario.repo.write("checks/probe.sh", "#!/bin/sh\n" + script + "\n")
        try scenario.edit("policies/fleet.yaml", replacing: "    - ./checks/dns-probe.sh", with: "    - ./checks/dns-probe.sh\n    - ./checks/probe.sh")
        try scenario.edit("pipelines/staging.yaml", replacing: "  checks:\n    healthy:",
                          with: "  checks:\n    probe:\n      type: command\n      command: ./checks/probe.sh\n      timeout: 1s\n    healthy:")
        try scenario.repo.commit("a probe")
        return scenario
    }

    func run(_ scenario: FleetScenario, _ name: String) async throws -> CheckOutcome {
        let repository = try await scenario.plan().repository
        let runner = CheckRunner(store: scenario.store, connector: scenario.connector, clock: scenario.clock, gitPath: scenario.repo.path)
        return await runner.run(CheckID(name: name, phase: .post, cluster: "test-1"),
                                CheckRunner.Context(environment: "staging", stage: "test", commit: scenario.head, repository: repository))
    }

    @Test func aCommandCheckThatHangsIsKilledAtItsTimeoutAndFails() async throws {
        let scenario = try commandScenario("exec sleep 600")
        guard case .failed = try await run(scenario, "probe") else { Issue.record("a hanging check did not fail"); return }
    }

    @Test func aCommandCheckThatCannotStartFails() async throws {
        // Not an executable: no interpreter line the kernel can run.
        let scenario = try commandScenario("")
        try scenario.repo.write("checks/probe.sh", "\u{7F}ELF not really\n")
        try scenario.repo.commit("a probe that is no program")
        guard case .failed = try await run(scenario, "probe") else { Issue.record("a check that cannot start did not fail"); return }
    }

    @Test(arguments: [
        #"{"status":"error","errorType":"bad_data","error":"parse error"}"#,
        "not json at all",
        #"{"status":"success","data":{"resultType":"vector","result":[]}}"#,
        #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.1"]},{"metric":{},"value":[1,"0.2"]}]}}"#,
        #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"not-a-number"]}]}}"#,
        #"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
    ])
    func prometheusAnswersThatSayNothingAreErrors(body: String) {
        guard case .failure = PrometheusQuery.value(of: body) else {
            Issue.record("\(body) was read as a value")
            return
        }
    }

    @Test func prometheusScalarsAndSingleSeriesAreRead() {
        #expect((try? PrometheusQuery.value(of: #"{"status":"success","data":{"resultType":"scalar","result":[1,"0.25"]}}"#).get()) == 0.25)
        #expect((try? PrometheusQuery.value(of: #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"3"]}]}}"#).get()) == 3)
    }

    /// A watcher on a URL fetches into its cache; when the remote is gone it keeps the heads
    /// it knew and says why.
    @Test func aWatcherOnAURLKeepsItsHeadsWhenAFetchFails() async throws {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        try repo.commit("fleet")
        let main = try repo.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let cache = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-watch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let watcher = BranchWatcher(location: "file://" + repo.path, cacheDirectory: cache)
        let heads = await watcher.refresh(branches: ["main"])
        #expect(heads["main"] == main)
        #expect(await watcher.lastError == nil)
        try FileManager.default.moveItem(atPath: repo.path, toPath: repo.path + "-gone")
        defer { try? FileManager.default.moveItem(atPath: repo.path + "-gone", toPath: repo.path) }
        await watcher.refresh(branches: ["main"])
        #expect(await watcher.lastError != nil)
        #expect(await watcher.head(of: "main") == main)
    }
}
