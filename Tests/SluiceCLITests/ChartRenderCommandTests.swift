import Foundation
import SluiceSQLite
import SluiceTestSupport
import Testing

/// `sluice render` of a chart add-on: Helm's `# Source:` names, and random values from the
/// state store's render secret when the store exists (the values plan and apply use).
@Suite(.timeLimit(.minutes(5))) struct ChartRenderCommandTests {
    /// example-repo with metrics-server as its upstream chart and a template drawing a password.
    static func chartRepo() throws -> TestRepository {
        try ChartFleet.make(extra: ["addons/metrics-server/templates/password.yaml": """
            apiVersion: v1
            kind: Secret
            metadata: {name: metrics-password}
            stringData: {password: {{ randAlphaNum 24 | quote }}}
            """])
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
