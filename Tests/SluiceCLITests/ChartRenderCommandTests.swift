import Foundation
import SluiceSQLite
import SluiceTestSupport
import Testing

/// `sluice render` of a chart add-on: Helm's `# Source:` names, and random values from the
/// state store's render secret when the store exists (the values plan and apply use).
@Suite(.timeLimit(.minutes(5))) struct ChartRenderCommandTests {
    /// example-repo with metrics-server as its upstream chart and a template drawing a password.
    static func chartRepo() throws -> TestRepository {
        let repo = try TestRepository(copying: ProjectPaths.exampleRepo)
        let addonFile = try repo.read("addons/metrics-server/addon.yaml")
        try repo.remove("addons/metrics-server")
        let source = ProjectPaths.sharedHelm + "/charts/metrics-server"
        for name in try FileManager.default.subpathsOfDirectory(atPath: source) {
            var folder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source + "/" + name, isDirectory: &folder), !folder.boolValue else { continue }
            try repo.write("addons/metrics-server/" + name, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: source + "/" + name))))
        }
        try repo.write("addons/metrics-server/addon.yaml", addonFile)
        try repo.write("addons/metrics-server/templates/password.yaml", """
            apiVersion: v1
            kind: Secret
            metadata: {name: metrics-password}
            stringData: {password: {{ randAlphaNum 24 | quote }}}
            """)
        for file in ["releases/2026-11-1.yaml", "releases/2026-11-2.yaml"] {
            let text = try repo.read(file)
            let line = try #require(text.split(separator: "\n").first { $0.contains("metrics-server: {version") })
            try repo.write(file, text.replacingOccurrences(of: String(line), with: """
                    metrics-server:
                      version: "3.13.1"
                      values: {image: {tag: v0.8.1}, resources: {limits: {cpu: 200m, memory: 256Mi}}}
                """))
        }
        try repo.commit("metrics-server as its upstream chart")
        return repo
    }

    func render(_ repo: TestRepository, _ extra: [String] = []) throws -> (text: String, password: String) {
        let result = try ProcessResult.run(ProjectPaths.sluiceBinary, ["render", "--repo", repo.path, "--cluster", "test-1", "--addon", "metrics-server"] + extra)
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.split(separator: "\n").first { $0.contains("password:") } ?? ""
        return (result.stdout, String(line))
    }

    @Test func renderPrintsHelmsSourcesAndTheStoresRandomValues() async throws {
        let repo = try Self.chartRepo()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-render-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let first = try render(repo)
        #expect(first.text.contains("# Source: metrics-server/templates/deployment.yaml\n"))
        // Without a store, each run draws from a secret of its own.
        #expect(try render(repo).password != first.password)
        // With one, every run draws what plan and apply draw.
        let store = folder + "/state.db"
        _ = try await SQLiteStateStore.open(path: store).renderSecret()
        let stored = try render(repo, ["--state", store]), again = try render(repo, ["--state", store])
        #expect(!stored.password.isEmpty && stored.password == again.password)
    }
}
