import Foundation
@testable import SluicePlan
import SluiceTestSupport
import Testing

/// `sluice plan -o markdown`: what a pull request comment shows of a release bump, under a cap.
@Suite(.timeLimit(.minutes(10))) struct PlanMarkdownTests {
    static func bumped() async throws -> (FleetScenario, FleetPlan) {
        let scenario = try FleetScenario()
        try await scenario.applyAll()
        try scenario.edit("releases/2026-11-2.yaml", replacing: "coredns/coredns:v1.11.4", with: "coredns/coredns:v1.11.5")
        try scenario.repo.commit("coredns 1.11.5 image")
        return (scenario, try await scenario.plan(env: "staging").plan)
    }

    @Test func aBumpShowsItsBatchesVersionsAndOneFoldedDiff() async throws {
        let (scenario, plan) = try await Self.bumped()
        let markdown = PlanMarkdownFormatter().format(plan)
        #expect(markdown.hasPrefix("### Sluice plan for `\(scenario.head.prefix(12))`"))
        let changed = plan.environments.flatMap { $0.stages.flatMap { $0.batches.flatMap(\.clusters) } }.filter { $0.summary.hasChanges }
        #expect(!changed.isEmpty)
        // A row per cluster that changes, and the image before -> after.
        for cluster in changed { #expect(markdown.contains("| \(cluster.name) | ")) }
        #expect(markdown.contains("| coredns | \(changed.count) | 1.11.4 -> 1.11.4, images main registry.k8s.io/coredns/coredns:v1.11.4 -> registry.k8s.io/coredns/coredns:v1.11.5 |"))
        // The same change on every cluster is one folded diff, not one per cluster.
        #expect(markdown.components(separatedBy: "<details>").count - 1 == 1)
        #expect(markdown.contains("and \(changed.count - 1) more cluster"))
        #expect(markdown.contains("```diff") && markdown.contains("v1.11.5"))
        #expect(!markdown.contains("left out"))
        withExtendedLifetime(scenario) {}
    }

    @Test func theCapLeavesWholeSectionsOutAndSaysSo() async throws {
        let (scenario, plan) = try await Self.bumped()
        let full = PlanMarkdownFormatter().format(plan)
        let capped = PlanMarkdownFormatter(maxCharacters: 1_000).format(plan)
        #expect(capped.count <= 1_000 && capped.count < full.count)
        #expect(capped.contains("left out to stay under 1000 characters"))
        // Never a fence opened and not closed.
        #expect(capped.components(separatedBy: "<details>").count == capped.components(separatedBy: "</details>").count)
        withExtendedLifetime(scenario) {}
    }

    @Test func textThatLooksLikeMarkdownCannotBreakTheComment() {
        #expect(PlanMarkdownFormatter.cell("a|b\nc") == "a\\|b c")
        #expect(PlanMarkdownFormatter.html("<script>&") == "&lt;script&gt;&amp;")
        #expect(PlanMarkdownFormatter.longestBacktickRun("x ```` y ` z") == 4)
    }
}
