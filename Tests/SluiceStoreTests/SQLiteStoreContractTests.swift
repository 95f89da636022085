import Foundation
import SluiceCore
import SluiceSQLite
import SluiceStore
import SluiceTestSupport
import Testing

/// The SQLite store runs the store contract, each test on a file of its own; a second handle
/// is a second `SQLiteStateStore` on the same file (as a second process has).
@Suite(.timeLimit(.minutes(10))) struct SQLiteStoreContractTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-contract-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    var contract: StateStoreContract {
        let path = directory + "/state.db"
        return StateStoreContract(open: { try SQLiteStateStore(path: path) },
                                  reopen: { _ in try SQLiteStateStore(path: path) })
    }

    @Test func appliedRecords() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.appliedRecords()
    }

    @Test func appliedChangeFeed() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.appliedChangeFeed()
    }

    @Test func history() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.history()
    }

    @Test func rollouts() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.rollouts()
    }

    @Test func aLargeStepIsWrittenAsRowByRow() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.aLargeStepIsWrittenAsRowByRow()
    }

    @Test func newestRolloutIsTheLastStartedWhateverItsClock() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.newestRolloutIsTheLastStartedWhateverItsClock()
    }

    @Test func operatorCommands() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.operatorCommands()
    }

    @Test func freezesAndDrift() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.freezesAndDrift()
    }

    @Test func renderSecret() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.renderSecret()
    }

    @Test func writerLeases() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.writerLeases()
    }

    @Test func concurrentReadersAndWriters() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await contract.concurrentReadersAndWriters()
    }
}
