import Foundation
import SluiceRollout
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// A revert is fast: a broken image halts the canary on a Thursday afternoon; the revert,
/// committed after the business-hours window closed, repairs the canary that evening instead
/// of on Monday. Every other cluster follows the pipeline as usual.
@Suite(.timeLimit(.minutes(10))) struct FastRollbackScenarioTests {
    static let berlin = TimeZone(identifier: "Europe/Berlin")!

    /// Moves the virtual clock to the next `weekday` (1 Sunday ... 5 Thursday) at `hour` in Berlin.
    static func advance(_ scenario: FleetScenario, toWeekday weekday: Int, hour: Int) async {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = berlin
        let now = await scenario.clock.now()
        let next = calendar.nextDate(after: now, matching: DateComponents(hour: hour, minute: 0, weekday: weekday), matchingPolicy: .nextTime)!
        await scenario.clock.advance(by: next.timeIntervalSince(now))
    }

    func brokenThenRevertedOnThursdayEvening(fastRollback: Bool) async throws -> (scenario: FleetScenario, first: String, revert: String, revertedAt: Date) {
        let scenario = try FleetScenario()
        if !fastRollback {
            try scenario.edit("pipelines/production.yaml", replacing: "spec:\n  stages:", with: "spec:\n  fastRollback: false\n  stages:")
            try scenario.repo.commit("no fast rollback")
        }
        try await scenario.converge()
        await Self.advance(scenario, toWeekday: 5, hour: 14)
        try scenario.edit("releases/2026-11-1.yaml", replacing: "coredns:v1.11.3", with: "coredns:v1.11.3-broken")
        _ = try scenario.repo.commit("coredns broken")
        let halted = try await scenario.runApproving()
        #expect(halted["production"] == .halted)
        let first = try #require(try scenario.blueprint("production").stages.first?.batches.first?.first)
        // The revert comes after the window closed (16:00), on Thursday evening.
        await Self.advance(scenario, toWeekday: 5, hour: 18)
        let revertedAt = await scenario.clock.now()
        try scenario.repo.git("revert", "--no-edit", "HEAD")
        let revert = scenario.head
        let after = try await scenario.runApproving()
        #expect(after["production"] == .converged)
        return (scenario, first, revert, revertedAt)
    }

    /// Friday 00:00 in Berlin after `date`.
    static func endOfDay(after date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = berlin
        return calendar.nextDate(after: date, matching: DateComponents(hour: 0, minute: 0), matchingPolicy: .nextTime)!
    }

    @Test func aRevertRepairsTheCanaryAtOnce() async throws {
        let (scenario, first, revert, revertedAt) = try await brokenThenRevertedOnThursdayEvening(fastRollback: true)
        let events = try await scenario.history(environment: "production").filter { $0.commit == revert }
        #expect(events.contains { $0.outcome == .revertFastTracked })
        let repaired = try #require(events.first { $0.cluster == first && $0.addon == "coredns" && $0.outcome == .applied })
        #expect(repaired.at >= revertedAt && repaired.at < Self.endOfDay(after: revertedAt), "repaired at \(repaired.at)")
        // Only the cluster the broken change reached was touched again.
        #expect(await Set(try scenario.calls(commit: revert).map(\.cluster)) == [first])
        #expect(try await scenario.store.applied(environment: "production").allSatisfy { $0.commit == revert && $0.pending == nil })
    }

    /// The same with `fastRollback: false`: the revert waits for Monday's window like any change.
    @Test func aPipelineMayOptOut() async throws {
        let (scenario, first, revert, revertedAt) = try await brokenThenRevertedOnThursdayEvening(fastRollback: false)
        let events = try await scenario.history(environment: "production").filter { $0.commit == revert }
        #expect(!events.contains { $0.outcome == .revertFastTracked })
        let repaired = try #require(events.first { $0.cluster == first && $0.addon == "coredns" && $0.outcome == .applied })
        #expect(repaired.at > revertedAt.addingTimeInterval(3 * 86_400))
    }
}
