import Foundation
import SluiceRollout
import SluiceCore
import SluiceStore
import SluiceTestSupport
import Testing

/// A release that bumps every image of example-repo, healthy all along: DaemonSets on 60 nodes
/// replace one pod at a time for many minutes, longer than the default health timeout in total,
/// and still no cluster fails, because the timeout is a progress deadline.
@Suite(.timeLimit(.minutes(10))) struct FullFleetBumpScenarioTests {
    /// `registry/name:tag` -> `registry/name:tag-r1` in every image of a release file.
    static func bumpEveryImage(_ text: String) -> String {
        let pattern = try! NSRegularExpression(pattern: #"([A-Za-z0-9.\-]+(?:/[A-Za-z0-9.\-_]+)+):([A-Za-z0-9.\-_]+)"#)
        return pattern.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1:$2-r1")
    }

    @Test func everyImageBumpedConvergesInBothEnvironmentsWithDefaults() async throws {
        let scenario = try FleetScenario()
        try await scenario.converge()
        for release in ["releases/2026-11-1.yaml", "releases/2026-11-2.yaml"] {
            let text = try scenario.repo.read(release)
            let bumped = Self.bumpEveryImage(text)
            #expect(bumped.components(separatedBy: "-r1").count > 12, "\(release): images not bumped")
            try scenario.repo.write(release, bumped)
        }
        let bump = try scenario.repo.commit("every image -r1")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes == ["staging": .converged, "production": .converged])

        let events = try await scenario.history().filter { $0.commit == bump }
        let failures = events.filter { $0.outcome.map { $0.severity >= .warning } ?? false }
        #expect(failures.isEmpty, "\(failures.prefix(3).map(\.detail))")
        // Every pair of every cluster recorded the bump.
        let records = try await scenario.store.applied()
        #expect(!records.isEmpty && records.allSatisfy { $0.commit == bump })
        // The test means something: some add-on took longer than the 5 minute timeout to roll.
        let applied = events.filter { $0.outcome == .applied }
        let longest = Dictionary(grouping: events.filter { $0.cluster != nil }, by: { $0.cluster ?? "" }).values.map { cluster in
            let start = cluster.filter { $0.outcome == .clusterApplying }.map(\.at).min() ?? .distantFuture
            let records = cluster.filter { $0.outcome == .applied }.map(\.at)
            return records.map { $0.timeIntervalSince(start) }.max() ?? 0
        }.max() ?? 0
        #expect(!applied.isEmpty)
        #expect(longest > 600, "longest cluster took \(longest)s")
    }
}
