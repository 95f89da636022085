import Foundation
import SluiceCore
import SluiceStore
@testable import SluiceStorePostgres
import SluiceTestSupport
import Testing

/// What the PostgreSQL store adds to the contract: leases that fence a replica that lost its
/// lease out of every write, refusals (a newer schema, another application's tables, a
/// password in the URL), and a store that outlives a server restart, never reading an
/// outage as an empty store.
@Suite(.timeLimit(.minutes(5))) struct PostgresStoreTests {
    static func record(_ cluster: String, _ commit: String) -> AppliedRecord {
        AppliedRecord(environment: "production", cluster: cluster, addon: "dns", commit: commit, digest: "d-\(commit)",
                      appliedAt: Date(timeIntervalSince1970: 1_800_000_000))
    }

    func kind(_ body: () async throws(StoreError) -> Void) async -> StoreError.Kind? {
        do { try await body(); return nil } catch { return error.kind }
    }

    /// A replica whose lease ran out by the store's clock (as when it was stopped or cut off
    /// past its lease) and was taken over cannot write one more row, though it still believes
    /// itself the holder; it stops acting on the environment, and the new holder writes.
    @Test func aReplicaWhoseLeaseWasTakenOverCannotWriteARow() async throws {
        let server = try await PostgresServer.start()
        let url = try await server.createDatabase()
        let first = try await PostgresStateStore.open(url: url)
        let second = try await PostgresStateStore.open(url: url)
        let lease = try await first.lockEnvironment("production", holder: "sluice run")
        try await first.recordApply(Self.record("c1", "a1"))
        // Another environment's writes are not fenced by this lease.
        try await first.append(HistoryEvent(at: Date(), kind: .operatorAction, environment: "staging", detail: "x"))
        #expect(await kind { () async throws(StoreError) in _ = try await second.lockEnvironment("production", holder: "sluice run") }
                == .environmentLocked(holder: lease.holder))

        // Time passes on the store's clock only: the first replica's lease expires unrenewed.
        let admin = try PostgresConnection(url: url)
        try admin.query("UPDATE leases SET expires_at = clock_timestamp() - interval '1 second'")
        let takeover = try #require(try await second.lockEnvironment("production", holder: "sluice run") as? PostgresLease)
        #expect(takeover.epoch == (lease as? PostgresLease).map { $0.epoch + 1 })

        // Every kind of write of the first replica is refused, and nothing of it lands.
        var step = StoreTransition(rollout: RolloutRecord(id: "r1", environment: "production", commit: "a2", phase: .running, format: 1,
                                                         state: Array("{}".utf8), startedAt: Date(), updatedAt: Date()))
        step.records = [Self.record("c1", "a2")]
        #expect(await kind { () async throws(StoreError) in try await first.commit(step) } == .leaseLost(environment: "production"))
        #expect(await kind { () async throws(StoreError) in try await first.recordApply(Self.record("c2", "a2")) } == .leaseLost(environment: "production"))
        #expect(await kind { () async throws(StoreError) in
            try await first.append(HistoryEvent(at: Date(), kind: .rollout, environment: "production", detail: "late"))
        } == .leaseLost(environment: "production"))
        #expect(await kind { () async throws(StoreError) in try await lease.confirm() } == .leaseLost(environment: "production"))
        #expect(try await second.applied(environment: "production") == [Self.record("c1", "a1")])
        #expect(try await second.rollout(environment: "production") == nil)
        #expect(try await second.history(HistoryFilter(environment: "production")).map(\.commit) == ["a1"])

        // The new holder writes; an operator's command is queued whoever holds the lease.
        try await second.commit(step)
        try await takeover.confirm()
        try await first.enqueue(OperatorCommand(environment: "production", verb: .pause, user: "ada", reason: "look", at: Date()))
        #expect(try await second.commands(environment: "production").count == 1)
        #expect(try await second.applied(environment: "production").map(\.commit) == ["a2"])
        await server.stop()
    }

    /// An expired lease nobody took is no longer a licence to write either: the store's clock decides.
    @Test func anExpiredLeaseFencesEvenBeforeAnotherTakesIt() async throws {
        let server = try await PostgresServer.start()
        let url = try await server.createDatabase()
        let store = try await PostgresStateStore.open(url: url)
        _ = try await store.lockEnvironment("production", holder: "sluice run")
        try PostgresConnection(url: url).query("UPDATE leases SET expires_at = clock_timestamp() - interval '1 second'")
        #expect(await kind { () async throws(StoreError) in try await store.recordApply(Self.record("c1", "a1")) } == .leaseLost(environment: "production"))
        #expect(try await store.applied().isEmpty)
        // A released lease is taken at once, by the next epoch.
        let again = try await store.lockEnvironment("production", holder: "sluice run")
        await again.release()
        let other = try #require(try await PostgresStateStore.open(url: url).lockEnvironment("production", holder: "sluice run") as? PostgresLease)
        #expect(other.epoch == 3)
        await server.stop()
    }

    @Test func whatIsNotThisSluicesStoreIsRefused() async throws {
        let server = try await PostgresServer.start()
        let url = try await server.createDatabase()
        _ = try await PostgresStateStore.open(url: url)
        try PostgresConnection(url: url).query("UPDATE sluice_store SET version = 99")
        #expect(await kind { () async throws(StoreError) in _ = try await PostgresStateStore.open(url: url) } == .newerSchema(99))

        let other = try await server.createDatabase()
        try PostgresConnection(url: other).query("CREATE TABLE history (id integer)")
        #expect(await kind { () async throws(StoreError) in _ = try await PostgresStateStore.open(url: other) } == .notAStore)
        // Nothing was created beside the other application's table.
        #expect(try PostgresConnection(url: other).query("SELECT to_regclass('applied') IS NULL") == [["t"]])

        for withPassword in ["postgresql://sluice:secret@127.0.0.1:\(server.port)/postgres", "postgres://sluice@127.0.0.1/postgres?password=secret"] {
            do {
                _ = try await PostgresStateStore.open(url: withPassword)
                Issue.record("a URL with a password was taken")
            } catch {
                #expect(!error.description.contains("secret"))
            }
        }
        await server.stop()
    }

    /// The server goes away mid-use: calls fail as `connectionLost` (never an empty answer) and
    /// the store reconnects by itself once it is back, with everything committed before.
    @Test func aServerRestartIsAnOutageNotAnEmptyStore() async throws {
        let server = try await PostgresServer.start()
        let store = try await PostgresStateStore.open(url: try await server.createDatabase())
        try await store.recordApply(Self.record("c1", "a1"))
        await server.stop()
        #expect(await kind { () async throws(StoreError) in _ = try await store.applied(environment: "production") } == .connectionLost)
        #expect(await kind { () async throws(StoreError) in try await store.recordApply(Self.record("c2", "a1")) } == .connectionLost)
        try await server.start()
        #expect(try await store.applied(environment: "production") == [Self.record("c1", "a1")])
        try await store.recordApply(Self.record("c2", "a1"))
        #expect(try await store.applied().count == 2)
        await server.stop()
    }
}
