import Foundation
import SluiceGit
import SluiceModel
import SluiceRender
import SluiceTestSupport
import Testing

/// One add-on on one cluster may render at most `RenderLimits.pairOutputBytes`, whatever
/// each of its templates stays under (issue 9).
@Suite(.timeLimit(.minutes(10))) struct PairLimitTests {
    @Test func anAddonRenderingMoreThanThePairLimitIsAnErrorAtItsTemplate() throws {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        // Each template: one comment line of 7 MiB (under the 8 MiB of one template).
        let big = "{{ $s := \"xxxxxxxx\" }}{{ range 17 }}{{ $s = print $s $s }}{{ end }}# {{ range 7 }}{{ $s }}{{ end }}\n"
        for index in 1...5 { try repo.write("addons/metrics-server/templates/big-\(index).yaml", big) }
        try repo.commit("metrics-server renders 35 MiB")
        let git = try GitRepository.open(repo.path)
        let repository = try FleetLoader().load(try git.tree(at: git.resolve("HEAD")))
        let renderer = try FleetRenderer(repository: repository)
        let cluster = try #require(repository.clusterNames.first { repository.clusters[$0].map(repository.installedAddons)?.contains("metrics-server") == true })
        do {
            _ = try renderer.render(cluster: cluster, addon: "metrics-server")
            Issue.record("35 MiB rendered without an error")
        } catch {
            #expect(error.code == "limit.pairOutputBytes")
            #expect(error.file.hasPrefix("addons/metrics-server/templates/big-"))
        }
    }
}
