import Foundation
import SluiceCore
import SluiceStore
import SluiceStorePostgres
import SluiceTestSupport
import Testing

/// The PostgreSQL store runs the store contract against a real PostgreSQL, each test on a
/// server of its own; `open` makes a new database, `reopen` a second store on it (as a
/// second replica has).
@Suite(.timeLimit(.minutes(10))) struct PostgresStoreContractTests {
    static func contract(_ server: PostgresServer) -> StateStoreContract {
        StateStoreContract(open: { try await PostgresStateStore.open(url: try server.createDatabase()) },
                           reopen: { store in try await PostgresStateStore.open(url: (store as! PostgresStateStore).url) })
    }

    static func run(_ test: (StateStoreContract) async throws -> Void) async throws {
        let server = try await PostgresServer.start()
        try await test(contract(server))
        await server.stop()
    }

    @Test func appliedRecords() async throws { try await Self.run { try await $0.appliedRecords() } }
    @Test func appliedChangeFeed() async throws { try await Self.run { try await $0.appliedChangeFeed() } }
    @Test func history() async throws { try await Self.run { try await $0.history() } }
    @Test func rollouts() async throws { try await Self.run { try await $0.rollouts() } }
    @Test func aLargeStepIsWrittenAsRowByRow() async throws { try await Self.run { try await $0.aLargeStepIsWrittenAsRowByRow() } }
    @Test func newestRolloutIsTheLastStartedWhateverItsClock() async throws {
        try await Self.run { try await $0.newestRolloutIsTheLastStartedWhateverItsClock() }
    }
    @Test func operatorCommands() async throws { try await Self.run { try await $0.operatorCommands() } }
    @Test func freezesAndDrift() async throws { try await Self.run { try await $0.freezesAndDrift() } }
    @Test func writerLeases() async throws { try await Self.run { try await $0.writerLeases() } }
    @Test func renderSecret() async throws { try await Self.run { try await $0.renderSecret() } }
    @Test func concurrentReadersAndWriters() async throws { try await Self.run { try await $0.concurrentReadersAndWriters() } }
}
