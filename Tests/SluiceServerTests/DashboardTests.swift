import Foundation
import Logging
import SluiceCore
import SluiceQueries
import SluiceRollout
import SluiceServer
import SluiceTestSupport
import Testing

/// The dashboard in a real headless Chromium (Debian's), against a controller running
/// example-repo in virtual time: both environments, a cell that changes after a bump, a
/// halted rollout's reason after a broken commit. With SLUICE_SCREENSHOTS=DIR it also saves
/// the screenshots the README shows (docs/).
@Suite(.timeLimit(.minutes(10))) struct DashboardTests {
    static let chromium = "/usr/bin/chromium"

    /// The page as Chromium has it once its script ran.
    static func dom(_ url: String, screenshot: String? = nil) throws -> String {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-chromium-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile)", "--virtual-time-budget=3000"]
        if let screenshot {
            _ = try ProcessResult.run(chromium, common + ["--window-size=1400,1000", "--screenshot=\(screenshot)", url])
        }
        let result = try ProcessResult.run(chromium, common + ["--dump-dom", url])
        guard result.status == 0 else { throw TestFailure("chromium exited \(result.status): \(result.stderr.suffix(500))") }
        return result.stdout
    }

    /// The text of the matrix cell of (cluster, add-on).
    static func cell(_ dom: String, _ cluster: String, _ addon: String) -> String? {
        guard let start = dom.range(of: "data-cluster=\"\(cluster)\" data-addon=\"\(addon)\"") else { return nil }
        guard let open = dom[start.upperBound...].firstIndex(of: ">"), let close = dom[open...].range(of: "</td>") else { return nil }
        return String(dom[dom.index(after: open)..<close.lowerBound])
    }

    static func section(_ dom: String, _ environment: String) -> String {
        guard let start = dom.range(of: "id=\"env-\(environment)\"") else { return "" }
        let rest = dom[start.lowerBound...]
        return String(rest[..<(rest.range(of: "</section>")?.lowerBound ?? rest.endIndex)])
    }

    @Test func theDashboardShowsPipelinesBumpsAndHalts() async throws {
        let scenario = try FleetScenario()
        _ = try await scenario.runController()
        // Each page is read right after the controller changed things: no shared answers.
        var settings = ServerSettings(host: "127.0.0.1", port: 0)
        settings.cachesReads = false
        let handler = APIHandler(store: scenario.store, models: CommitModels(location: scenario.repo.path), nudges: Nudges(), pulse: ControllerPulse(),
                                 clock: scenario.clock, settings: settings,
                                 logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), drivers: scenario.connector)
        let (ports, listening) = AsyncStream<Int>.makeStream()
        let server = HTTPServer(handler: handler, settings: settings,
                                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), onListening: { listening.yield($0) })
        let running = Task { try await server.run() }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        let base = "http://127.0.0.1:\(try #require(await iterator.next()))"
        let shots = ProcessInfo.processInfo.environment["SLUICE_SCREENSHOTS"]

        let first = try Self.dom(base + "/")
        #expect(first.contains("id=\"env-staging\" data-phase=\"done\"") && first.contains("id=\"env-production\" data-phase=\"awaitingApproval\""))
        #expect(first.contains("not signed in"))  // the page's script ran
        #expect(Self.cell(first, "test-1", "coredns") == "1.11.4")
        #expect(Self.section(first, "production").contains("data-action=\"approve\""))

        try scenario.edit("releases/2026-11-2.yaml", replacing: #"coredns: {version: "1.11.4", images: {main: "registry.k8s.io/coredns/coredns:v1.11.4"}}"#,
                          with: #"coredns: {version: "1.11.5", images: {main: "registry.k8s.io/coredns/coredns:v1.11.5"}}"#)
        try scenario.repo.commit("coredns 1.11.5")
        try scenario.repo.git("branch", "-f", "staging", "HEAD")
        _ = try await scenario.runController()
        let bumped = try Self.dom(base + "/", screenshot: shots.map { $0 + "/dashboard-pipelines.png" })
        #expect(Self.cell(bumped, "test-1", "coredns") == "1.11.5")
        #expect(Self.cell(bumped, "canary-us-1", "coredns")?.hasPrefix("1.11.3") == true)

        try scenario.edit("releases/2026-11-1.yaml", replacing: "coredns:v1.11.3", with: "coredns:v1.11.3-broken")
        try scenario.repo.commit("coredns broken")
        let outcomes = try await scenario.runApproving()
        #expect(outcomes["production"] == .halted)
        let state = try #require(try await scenario.rolloutState("production"))
        let reason = try #require(state.haltReason)
        let halted = try Self.dom(base + "/", screenshot: shots.map { $0 + "/dashboard-halted.png" })
        let production = Self.section(halted, "production")
        #expect(production.contains("data-phase=\"halted\""))
        #expect(production.contains("<p class=\"halt\">Halted: \(reason.replacingOccurrences(of: "\"", with: "&quot;"))"))
        #expect(production.contains("data-action=\"resume\""))
        // The cluster that failed shows its add-on failed (red), whatever the halt did with its pairs.
        let canary = try #require(try scenario.blueprint("production").stages.first?.batches.first?.first)
        #expect(halted.contains("class=\"cell failed\" data-cluster=\"\(canary)\" data-addon=\"coredns\""))

        let cluster = try Self.dom(base + "/clusters/test-1", screenshot: shots.map { $0 + "/dashboard-cluster.png" })
        #expect(cluster.contains("Cluster test-1") && cluster.contains("1.11.5"))
        // What the cluster runs, read from it: coredns's Deployment with its pods.
        #expect(cluster.contains("Live, read") && cluster.contains("Deployment kube-system/coredns"))
        let history = try Self.dom(base + "/history?environment=production")
        #expect(history.contains("halted") && !history.contains(">staging/"))
        withExtendedLifetime(scenario) {}
    }
}
