import Foundation
import Logging
import SluiceCore
import SluiceQueries
import SluiceRollout
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Testing

/// The API against example-repo after the controller ran it (staging converged, production
/// waiting for its approval): what each read route answers, and who may act.
@Suite(.timeLimit(.minutes(10))) struct APIHandlerTests {
    static let tokens = (viewer: "viewer-token-0123456789", olga: "operator-token-0123456789", ada: "approver-token-0123456789")

    static func identities() throws -> Identities {
        func digest(_ token: String) -> String {
            let hex = try? ProcessResult.run("/bin/sh", ["-c", "printf %s '\(token)' | sha256sum"]).stdout
            return String(hex?.prefix(64) ?? "")
        }
        let file = """
            tokens:
              - name: vera
                sha256: \(digest(tokens.viewer))
                role: viewer
              - name: olga
                sha256: \(digest(tokens.olga))
                role: operator
                environments: [staging]
              - name: ada
                sha256: \(digest(tokens.ada))
                role: approver
            """
        return try TokensFile.parse(Array(file.utf8), file: "tokens.yaml")
    }

    /// A scenario the controller has run until idle, and a handler over its store and repo.
    static func served(readsNeedToken: Bool = false, secret: String? = nil) async throws -> (FleetScenario, APIHandler, Nudges) {
        let scenario = try FleetScenario()
        _ = try await scenario.runController()
        let nudges = Nudges()
        var settings = ServerSettings(host: "127.0.0.1", port: 0, identities: try identities(), readsNeedToken: readsNeedToken,
                                      webhookSecret: secret.map { Array($0.utf8) })
        settings.maxWebhookBytes = 1 << 20
        let handler = APIHandler(store: scenario.store, models: CommitModels(location: scenario.repo.path), nudges: nudges, pulse: ControllerPulse(),
                                 clock: scenario.clock, settings: settings, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (scenario, handler, nudges)
    }

    /// A handler that reads the scenario's clusters (plans, live state), every read computed
    /// afresh (a test reads right after it changed something).
    static func liveHandler(_ scenario: FleetScenario) -> APIHandler {
        var settings = ServerSettings(host: "127.0.0.1", port: 0)
        settings.cachesReads = false
        return APIHandler(store: scenario.store, models: CommitModels(location: scenario.repo.path), nudges: Nudges(), pulse: ControllerPulse(),
                          clock: scenario.clock, settings: settings, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                          drivers: scenario.connector)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ response: APIResponse) throws -> T {
        try APIJSON.decoder().decode(type, from: Data(response.body))
    }

    struct Environments: Decodable { var schemaVersion: Int; var environments: [StatusReport.Environment] }
    struct OneEnvironment: Decodable { var environment: StatusReport.Environment }
    struct Events: Decodable { var events: [HistoryEntry] }
    struct ErrorBody: Decodable { struct Detail: Decodable { var code: String }; var error: Detail }

    @Test func readsAnswerWhatTheCLIShows() async throws {
        let (scenario, handler, _) = try await Self.served()
        let status = await handler.handle(APIRequest(method: "GET", path: "/api/v1/status"))
        #expect(status.status == 200)
        let all = try Self.decode(Environments.self, status)
        #expect(all.schemaVersion == 1)
        let expected = try await StatusReport.make(store: scenario.store, repository: scenario.repo.path, environment: nil, now: await scenario.clock.now())
        #expect(all.environments == expected.environments)

        let staging = await handler.handle(APIRequest(method: "GET", path: "/api/v1/environments/staging"))
        #expect(try Self.decode(OneEnvironment.self, staging).environment.name == "staging")
        let missing = await handler.handle(APIRequest(method: "GET", path: "/api/v1/environments/nowhere"))
        let code = try Self.decode(ErrorBody.self, missing).error.code
        #expect(missing.status == 404 && code == "notFound")

        let history = await handler.handle(APIRequest(method: "GET", path: "/api/v1/history", query: ["environment": "staging", "limit": "3"]))
        let events = try Self.decode(Events.self, history).events
        #expect(events.count == 3 && events.allSatisfy { $0.environment == "staging" })
        #expect(events.map(\.at) == events.map(\.at).sorted())
        for bad in [["since": "yesterday"], ["limit": "0"], ["limit": "many"]] {
            #expect(await handler.handle(APIRequest(method: "GET", path: "/api/v1/history", query: bad)).status == 400)
        }
        #expect(await handler.handle(APIRequest(method: "POST", path: "/api/v1/status")).status == 405)
        #expect(await handler.handle(APIRequest(method: "GET", path: "/api/v2/status")).status == 404)
        withExtendedLifetime(scenario) {}
    }

    @Test func theMatrixAndAClusterPageShowVersionsInPipelineOrder() async throws {
        let (scenario, handler, _) = try await Self.served()
        let matrix = try Self.decode(VersionMatrix.self, await handler.handle(APIRequest(method: "GET", path: "/api/v1/matrix")))
        let staging = try #require(matrix.environments.first { $0.name == "staging" })
        let records = try await scenario.store.applied(environment: "staging")
        #expect(staging.clusters.flatMap(\.cells).count == records.count)
        #expect(staging.clusters.map(\.cluster) == staging.stages.flatMap(\.clusters))
        let cell = try #require(staging.clusters.first?.cells.first)
        #expect(cell.state == .applied && cell.version != nil && !cell.images.isEmpty)

        let cluster = try #require(staging.clusters.first?.cluster)
        let page = await handler.handle(APIRequest(method: "GET", path: "/api/v1/clusters/\(cluster)"))
        let view = try Self.decode(ClusterView.self, page)
        #expect(view.defined && view.environments.map(\.environment) == ["staging"])
        #expect(view.environments.first?.addons == staging.clusters.first?.cells)
        #expect(!view.history.isEmpty && view.history.allSatisfy { $0.cluster == cluster })
        #expect(await handler.handle(APIRequest(method: "GET", path: "/api/v1/clusters/nowhere")).status == 404)
        withExtendedLifetime(scenario) {}
    }

    @Test func actingNeedsATokenWhoseRoleAllowsItThere() async throws {
        let (scenario, handler, nudges) = try await Self.served()
        func post(_ path: String, _ token: String?, _ body: String = "") async -> APIResponse {
            await handler.handle(APIRequest(method: "POST", path: path, headers: token.map { ["Authorization": "Bearer \($0)"] } ?? [:],
                                            body: Array(body.utf8)))
        }
        #expect(await post("/api/v1/environments/staging/pause", nil).status == 401)
        #expect(await post("/api/v1/environments/staging/pause", "not-a-known-token-at-all").status == 401)
        #expect(await post("/api/v1/environments/staging/pause", Self.tokens.viewer).status == 403)
        #expect(await post("/api/v1/environments/production/pause", Self.tokens.olga).status == 403)
        #expect(try await scenario.store.commands(environment: "staging").isEmpty)

        let paused = await post("/api/v1/environments/staging/pause", Self.tokens.olga, #"{"reason": "maintenance"}"#)
        #expect(paused.status == 202)
        let queued = try await scenario.store.commands(environment: "staging")
        #expect(queued.map(\.verb) == [.pause] && queued.first?.user == "olga" && queued.first?.reason == "maintenance")
        #expect(nudges.isPending("staging") && !nudges.isPending("production"))

        // Approving needs the approver's role, and the commit that waits.
        #expect(await post("/api/v1/environments/staging/approve", Self.tokens.olga).status == 403)
        #expect(await post("/api/v1/environments/production/approve", Self.tokens.ada, #"{"commit": "fedcba9"}"#).status == 409)
        #expect(await post("/api/v1/environments/production/approve", Self.tokens.ada, #"{"commit": 7}"#).status == 400)
        let approved = await post("/api/v1/environments/production/approve", Self.tokens.ada)
        #expect(approved.status == 202)
        let approval = try await scenario.store.commands(environment: "production")
        #expect(approval.map(\.verb) == [.approve] && approval.first?.user == "ada" && approval.first?.commit == scenario.head)

        #expect(await post("/api/v1/environments/staging/freeze", Self.tokens.olga).status == 202)
        #expect(try await scenario.store.freeze(environment: "staging")?.user == "olga")
        #expect(await post("/api/v1/environments/staging/fetch", Self.tokens.olga).status == 202)
        let fetched = try await scenario.history(environment: "staging").last
        #expect(fetched?.kind == .operatorAction && fetched?.detail.contains("olga") == true)
        #expect(await post("/api/v1/environments/nowhere/fetch", Self.tokens.ada).status == 404)
        #expect(await post("/api/v1/environments/staging/explode", Self.tokens.ada).status == 404)
        withExtendedLifetime(scenario) {}
    }

    @Test func readsCanBeClosedToAnonymousCallers() async throws {
        let (scenario, handler, _) = try await Self.served(readsNeedToken: true)
        #expect(await handler.handle(APIRequest(method: "GET", path: "/api/v1/status")).status == 401)
        let allowed = await handler.handle(APIRequest(method: "GET", path: "/api/v1/status", headers: ["Authorization": "Bearer \(Self.tokens.viewer)"]))
        #expect(allowed.status == 200)
        // Probes stay open: a kubelet has no token.
        #expect(await handler.handle(APIRequest(method: "GET", path: "/healthz")).status == 200)
        withExtendedLifetime(scenario) {}
    }

    @Test func readinessNeedsARunningControllerThatReachedTheRepo() async throws {
        let (scenario, handler, _) = try await Self.served()
        // The pulse of this handler was never told the controller runs.
        #expect(await handler.handle(APIRequest(method: "GET", path: "/readyz")).status == 503)
        withExtendedLifetime(scenario) {}
    }
}
