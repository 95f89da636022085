import Foundation
import SluiceDrivers
import SluiceModel
import SluiceRollout
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice run` on Git copies of example-repo with virtual time: what each scenario of a
/// fleet operator's life leaves in the history, the records and the rollout state.
@Suite struct ControllerScenarioTests {
    @Test func aFreshFleetConvergesInEveryEnvironment() async throws {
        let scenario = try FleetScenario()
        let start = Date()
        let outcomes = try await scenario.runController()
        print("took", Date().timeIntervalSince(start))
        for event in try scenario.history() { print(ISO8601DateFormatter().string(from: event.at), event.environment, event.kind, event.cluster ?? "-", event.addon ?? "-", event.detail.prefix(150)) }
        #expect(outcomes == ["staging": .converged, "production": .waitingForOperator])
    }
}
