import Foundation
import SluiceSQLite
import SluiceStorePostgres
import SluiceTestSupport
import Testing

/// `--state postgres://...` as an operator meets it: the example fleet run, approved and
/// finished against a real PostgreSQL; a URL with a password refused without showing it; a
/// SQLite store copied into PostgreSQL with `sluice state migrate`, reading back the same.
@Suite(.timeLimit(.minutes(10))) struct PostgresStateCommandTests {
    let repo: TestRepository
    let folder: String

    init() throws {
        repo = try TestRepository.exampleFleet()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-pgcli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func sluice(_ arguments: [String]) throws -> ProcessResult {
        try ProcessResult.run(ProjectPaths.sluiceBinary, arguments)
    }

    func run(_ state: String) throws -> ProcessResult {
        try sluice(["run", "--repo", repo.path, "--state", state, "--simulated-objects", folder + "/simulated.db", "--virtual-time",
                    "--until-idle", "--interval", "60s", "--resync", "0", "--clock-start", "2027-01-18T08:00:00Z"])
    }

    func json(_ result: ProcessResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    @Test func theExampleFleetRunsOnPostgreSQL() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let server = try await PostgresServer.start()
        let url = try await server.createDatabase()
        // Read-only commands never create a store.
        #expect(try sluice(["status", "--repo", repo.path, "--state", url]).status == 1)

        let first = try run(url)
        #expect(first.status == 5, "\(first.stderr)")
        let status = try #require(try json(sluice(["status", "--repo", repo.path, "--state", url, "-o", "json"])) as? [String: Any])
        let production = try #require((status["environments"] as? [[String: Any]])?.first { $0["name"] as? String == "production" })
        #expect((production["rollout"] as? [String: Any])?["phase"] as? String == "awaitingApproval")
        #expect(try sluice(["approve", "production", "--repo", repo.path, "--state", url, "--reason", "canaries fine"]).status == 0)
        let second = try run(url)
        #expect(second.status == 0, "\(second.stderr)")
        let events = try #require(try json(sluice(["history", "--repo", repo.path, "--state", url, "--env", "production", "-o", "json"])) as? [[String: Any]])
        #expect(events.contains { ($0["detail"] as? String)?.contains("canaries fine") == true })
        #expect(try sluice(["state", "check", "--repo", repo.path, "--state", url]).status == 0)

        let secret = "postgresql://sluice:hunter2@127.0.0.1:\(server.port)/postgres"
        let refused = try sluice(["status", "--repo", repo.path, "--state", secret])
        #expect(refused.status == 1 && refused.stderr.hasPrefix("error: ") && !refused.stderr.contains("hunter2"))
        await server.stop()
    }

    @Test func aSQLiteStoreIsCopiedIntoPostgreSQL() async throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sqlite = folder + "/state.db"
        #expect(try run(sqlite).status == 5)
        #expect(try sluice(["freeze", "staging", "--repo", repo.path, "--state", sqlite, "--reason", "audit"]).status == 0)
        #expect(try sluice(["pause", "production", "--repo", repo.path, "--state", sqlite, "--reason", "look"]).status == 0)
        let secret = try await SQLiteStateStore(path: sqlite).renderSecret()

        let server = try await PostgresServer.start()
        let url = try await server.createDatabase()
        let migrate = try sluice(["state", "migrate", "--from", sqlite, "--to", url])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        // The render secret goes with the records: chart add-ons' random values stay the same.
        let copied = try await PostgresStateStore.open(url: url, create: false)
        #expect(try await copied.renderSecret() == secret)
        for command in [["history", "-o", "json"], ["status", "-o", "json", "--env", "staging"]] {
            let before = try sluice(command + ["--repo", repo.path, "--state", sqlite])
            let after = try sluice(command + ["--repo", repo.path, "--state", url])
            #expect(before.status == 0 && after.status == 0)
            #expect(before.stdout == after.stdout, "\(command[0]) differs after the copy")
        }
        // A second copy into a store that holds records is refused; the first stays whole.
        let again = try sluice(["state", "migrate", "--from", sqlite, "--to", url])
        #expect(again.status == 1 && again.stderr.contains("already holds records"))
        await server.stop()
    }
}
