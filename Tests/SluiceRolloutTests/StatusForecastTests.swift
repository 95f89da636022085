import Foundation
@testable import SluiceQueries
@testable import SluiceRollout
import SluiceModel
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice status`'s forecast: when each remaining stage can start at the earliest.
@Suite(.timeLimit(.minutes(10))) struct StatusForecastTests {
    @Test func remainingStagesStartAfterTheirBakesInTheirWindowsOrAfterAnApproval() async throws {
        let scenario = try FleetScenario()
        let repository = try await scenario.plan().repository
        let blueprint = RolloutBlueprint(repository: repository, environment: "production")
        // Monday 2027-01-18 10:00 Berlin, the first canary batch baking until 11:00.
        let now = try #require(ISO8601DateFormatter().date(from: "2027-01-18T09:00:00Z"))
        var state = RolloutState(id: "r", environment: "production", commit: "c", baseCommit: nil, blueprint: blueprint, now: now)
        state.position = .running(.baking(until: now.addingTimeInterval(3600)))
        let forecast = StatusReport.forecastStages(state, repository, now: now)
        #expect(forecast.map(\.name) == ["small-flow", "production"])
        // Canary: this batch's bake (1h) and one more batch's bake (1h), inside business hours.
        #expect(forecast[0].earliestStart == now.addingTimeInterval(2 * 3600))
        #expect(!forecast[0].waitsForApproval)
        #expect(forecast[1].earliestStart == nil && forecast[1].waitsForApproval)

        // Late on a Thursday, the next stage waits for Monday's window.
        let thursday = try #require(ISO8601DateFormatter().date(from: "2027-01-21T14:30:00Z"))
        var late = RolloutState(id: "r", environment: "production", commit: "c", baseCommit: nil, blueprint: blueprint, now: thursday)
        late.position = .running(.baking(until: thursday.addingTimeInterval(1800)))
        let monday = try #require(ISO8601DateFormatter().date(from: "2027-01-25T08:00:00Z"))
        #expect(StatusReport.forecastStages(late, repository, now: thursday).first?.earliestStart == monday)
    }
}
