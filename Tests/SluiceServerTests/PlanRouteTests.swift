import Foundation
import Logging
import SluicePlan
import SluiceRollout

import SluiceServer
@testable import SluiceQueries
import SluiceTestSupport
import Testing

/// `GET /api/v1/environments/{env}/plan`: the plan JSON of `sluice plan -o json`, of a
/// commit merged or not, or of the environment's branch; what is wrong with a commit, with
/// its files; unknown names answered 404.
@Suite(.timeLimit(.minutes(10))) struct PlanRouteTests {
    struct Invalid: Decodable {
        struct Problem: Decodable { var file: String?; var line: Int?; var message: String }
        struct Detail: Decodable { var code: String }
        var error: Detail
        var errors: [Problem]
    }

    @Test func plansACommitBeforeItIsMergedAsTheCLIDoes() async throws {
        let scenario = try FleetScenario()
        _ = try await scenario.runController()
        let handler = APIHandlerTests.liveHandler(scenario)
        func plan(_ environment: String, _ commit: String? = nil) async -> APIResponse {
            await handler.handle(APIRequest(method: "GET", path: "/api/v1/environments/\(environment)/plan", query: commit.map { ["commit": $0] } ?? [:]))
        }
        // The head of staging's branch is what staging runs: nothing to change.
        let current = await plan("staging")
        #expect(current.status == 200)
        let unchanged = try APIJSON.decoder().decode(FleetPlan.self, from: Data(current.body))
        #expect(unchanged.schemaVersion == 1 && !unchanged.hasChanges && unchanged.environments.map(\.name) == ["staging"])

        // A bump committed on main, not merged into staging: planned for staging as it would roll out there.
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns:v1.11.4", with: "coredns:v1.11.5")
        let bump = try scenario.repo.commit("coredns 1.11.5")
        let answer = await plan("staging", bump)
        #expect(answer.status == 200)
        let planned = try APIJSON.decoder().decode(FleetPlan.self, from: Data(answer.body))
        let expected = try await scenario.plan(rev: bump, env: "staging").plan
        #expect(planned.hasChanges && planned.commit == bump)
        #expect(planned == expected)

        // An invalid commit: 422 and what is wrong, file by file.
        try scenario.repo.write("releases/2026-11-2.yaml", "kind: Release\nspec: [unclosed\n")
        let broken = try scenario.repo.commit("broken")
        let refused = await plan("staging", broken)
        let invalid = try APIJSON.decoder().decode(Invalid.self, from: Data(refused.body))
        #expect(refused.status == 422 && invalid.error.code == "invalid")
        #expect(!invalid.errors.isEmpty && invalid.errors.contains { $0.file == "releases/2026-11-2.yaml" && $0.line != nil })

        #expect(await plan("nowhere").status == 404)
        #expect(await plan("staging", "0123456789abcdef0123456789abcdef01234567").status == 404)
        #expect(await plan("staging", "--output=/tmp/x").status == 404)
        #expect(await plan("staging", String(repeating: "a", count: 5_000)).status == 404)
        withExtendedLifetime(scenario) {}
    }

    @Test func aServerWithoutPlansSaysSo() async throws {
        let (scenario, handler, _) = try await APIHandlerTests.served()
        let answer = await handler.handle(APIRequest(method: "GET", path: "/api/v1/environments/staging/plan"))
        #expect(answer.status == 404)
        withExtendedLifetime(scenario) {}
    }

    @Test func plansBeyondTheLineAreToldToComeBack() async throws {
        let slots = PlanSlots(free: 1, maximumWaiting: 1)
        #expect(await slots.enter())
        let waiter = Task { await slots.enter() }
        // The second waits in line; a third finds the line full.
        while await slots.waitingCount == 0 { await Task.yield() }
        #expect(await !slots.enter())
        await slots.leave()
        #expect(await waiter.value)
        await slots.leave()
        #expect(await slots.enter())
    }
}
