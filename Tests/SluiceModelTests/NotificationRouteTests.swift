import Foundation
import SluiceGit
import SluiceModel
import SluiceTestSupport
import SluiceYAML
import Testing

/// `spec.notifications` in sluice.yaml: routes that name the machine's targets, checked
/// where they are wrong.
@Suite(.timeLimit(.minutes(10))) struct NotificationRouteTests {
    static let routes = """
          notifications:
            - target: oncall
              events: [halted, approvalWaits]
              environments: [production]
            - target: audit
        """

    @Test func routesAreReadWithTheirFilters() throws {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        try repo.write("sluice.yaml", try repo.read("sluice.yaml") + Self.routes + "\n")
        let fleet = try FleetLoader().fleet(in: try DirectoryTree(root: repo.path))
        let routes = try #require(fleet.notifications)
        #expect(routes.map(\.target.value) == ["oncall", "audit"])
        #expect(routes[0].wants(event: "halted", environment: "production"))
        #expect(!routes[0].wants(event: "halted", environment: "staging"))
        #expect(!routes[0].wants(event: "rolloutStarted", environment: "production"))
        #expect(routes[1].wants(event: "rolloutStarted", environment: "staging"))
        // Without the section, nothing narrows the machine's targets.
        #expect(try FleetLoader().fleet(in: try DirectoryTree(root: ProjectPaths.exampleRepo)).notifications == nil)
    }

    @Test func mistakesAreReportedWhereTheyAre() throws {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        let text = try repo.read("sluice.yaml")
        let base = text.split(separator: "\n", omittingEmptySubsequences: false).count
        try repo.write("sluice.yaml", text + """
              notifications:
                - target: oncall
                  events: [halted, halt]
                  environments: [prod]
                - events: [halted]
                  channel: "#ops"

            """)
        do {
            _ = try FleetLoader().fleet(in: try DirectoryTree(root: repo.path))
            Issue.record("should fail")
        } catch let error as ValidationFailure {
            // The unknown event, the unknown environment, the missing target and the unknown
            // field, each on its line of sluice.yaml.
            #expect(error.diagnostics.allSatisfy { $0.file == "sluice.yaml" && $0.hasLocation })
            #expect(Set(error.diagnostics.compactMap { $0.mark?.line }) == [base + 2, base + 3, base + 4, base + 5])
        }
    }
}
