import Foundation
import SluiceGit
import SluiceModel
import SluiceYAML
@testable import SluiceRender
import SluiceTestSupport
import Testing

/// The fast YAML reader on what matters most: every template output of the example fleet,
/// for every cluster, read both ways. Where the fast reader accepts, libyaml must agree.
@Suite(.timeLimit(.minutes(10))) struct RenderedOutputReaderTests {
    @Test func fastReaderAgreesWithLibyamlOnEveryRenderedTemplate() throws {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        try repo.commit("fleet")
        let git = try GitRepository.open(repo.path)
        let repository = try FleetLoader().load(try git.tree(at: git.resolve("HEAD")))
        let renderer = try FleetRenderer(repository: repository)
        var libraries: [String: TemplateLibrary] = [:]
        // Native add-ons' templates (a chart's run in Helm's dialect, through ChartRenderer).
        for (name, addon) in repository.addons where addon.chart == nil {
            libraries[name] = try TemplateLibrary(folder: addon.folder, sources: addon.templates)
        }
        var accepted = 0, total = 0
        for clusterName in repository.clusterNames {
            let cluster = try #require(repository.clusters[clusterName])
            for addonName in repository.installedAddons(of: cluster) where libraries[addonName] != nil {
                let addon = try #require(repository.addons[addonName])
                let library = try #require(libraries[addonName])
                let data = renderer.templateData(cluster: cluster, addon: addon)
                for template in library.manifests {
                    var evaluator = TemplateEvaluator(library: library, file: template.file)
                    let text = Array(try evaluator.render(template, data: data).utf8)
                    let reference = try YAMLParser(usesBlockReader: false).parseValues(text, file: template.file)
                    total += 1
                    guard let fast = BlockYAMLReader.read(text) else { continue }
                    accepted += 1
                    #expect(fast.count == reference.count, "\(clusterName) \(template.file)")
                    for (a, b) in zip(fast, reference) {
                        #expect(a.value == b.value && a.mark == b.mark, "\(clusterName) \(template.file)")
                    }
                }
            }
        }
        #expect(total > 300)
        // The example fleet is what templates look like; nearly all of it is in the subset.
        #expect(accepted * 10 >= total * 9, "accepted \(accepted) of \(total)")
    }
}
