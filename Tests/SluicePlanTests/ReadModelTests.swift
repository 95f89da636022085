import Foundation
import SluiceGit
import SluiceModel
@testable import SluicePlan
import SluiceRender
import SluiceTestSupport
import Testing

/// What the CLI and the HTTP API both ask: which commit an environment acts on (the branch
/// policy), and a cluster's manifests in apply order.
@Suite(.timeLimit(.minutes(10))) struct ReadModelTests {
    @Test func anEnvironmentActsOnItsBranchAndRefusesACommitItNeverHad() throws {
        let repo = try TestRepository.exampleFleet()
        try repo.write("README.md", "only on main\n")
        let onlyOnMain = try repo.commit("main moves on")
        #expect(try EnvironmentRevision.resolve(path: repo.path, environment: "staging", revision: nil, requireOnBranch: true) == "staging")
        #expect(try EnvironmentRevision.resolve(path: repo.path, environment: "production", revision: onlyOnMain, requireOnBranch: true) == onlyOnMain)
        #expect(throws: EnvironmentRevision.NotOnBranch(revision: onlyOnMain, commit: onlyOnMain, branch: "staging", environment: "staging")) {
            try EnvironmentRevision.resolve(path: repo.path, environment: "staging", revision: onlyOnMain, requireOnBranch: true)
        }
        // Planning (not applying) a commit off the branch is allowed; no environment, no policy.
        #expect(try EnvironmentRevision.resolve(path: repo.path, environment: "staging", revision: onlyOnMain, requireOnBranch: false) == onlyOnMain)
        #expect(try EnvironmentRevision.resolve(path: repo.path, environment: nil, revision: nil, requireOnBranch: true) == nil)
    }

    @Test func aClustersManifestsComeInApplyOrder() throws {
        let tree = try FleetSource.open(ProjectPaths.exampleRepo, revision: nil).tree
        let repository = try FleetLoader().load(tree)
        let renderer = try FleetRenderer(repository: repository)
        let cluster = try #require(repository.clusters["test-1"])
        let objects = try ClusterManifests.render(cluster, addon: nil, repository: repository, renderer: renderer)
        // Add-ons in dependency order: every add-on's objects come after those of what it needs.
        func addon(_ object: RenderedObject) -> String { String(object.template.split(separator: "/")[1]) }
        let addons = objects.reduce(into: [String]()) { order, object in if order.last != addon(object) { order.append(addon(object)) } }
        #expect(Set(addons).count == addons.count)
        #expect(Set(addons) == Set(repository.installedAddons(of: cluster)))
        // In each add-on, kinds in Helm's install order (a Namespace first, webhooks last),
        // then a chart's hooks, as `helm template` prints them.
        for name in addons {
            let own = objects.filter { addon($0) == name }
            let ranks = own.filter { $0.hook == nil }.map { KindOrder.rank(of: $0.key.kind) }
            #expect(ranks == ranks.sorted(), "\(name)")
            #expect(own.drop { $0.hook == nil }.allSatisfy { $0.hook != nil }, "\(name)")
        }
        #expect(objects.contains { $0.hook != nil && $0.key.name == "event-exporter-config-check" })
        #expect(throws: ClusterManifests.Problems.self) {
            try ClusterManifests.render(cluster, addon: "not-an-addon", repository: repository, renderer: renderer)
        }
    }
}
