import CSQLite
import Foundation
import SluiceModel
import SluiceCore
import SluiceSQLite
@testable import SluiceStore
import Testing

/// The state store refuses what it cannot trust (issue 9): files that are not a Sluice
/// store, damage, a second writer of an environment, a busy database. Asserted on kinds.
@Suite(.timeLimit(.minutes(10))) struct StoreRefusalTests {
    let directory: String
    var path: String { directory + "/state.db" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-refusal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func kind(_ open: () async throws(StoreError) -> Void) async -> StoreError.Kind? {
        do {
            try await open()
            return nil
        } catch {
            return error.kind
        }
    }

    func kind(_ open: () throws(StoreError) -> Void) -> StoreError.Kind? {
        do {
            try open()
            return nil
        } catch {
            return error.kind
        }
    }

    func record(_ store: SQLiteStateStore, _ cluster: String) async throws {
        try await store.recordApply(AppliedRecord(environment: "production", cluster: cluster, addon: "dns", commit: "abc", digest: "d",
                                            appliedAt: Date(timeIntervalSince1970: 10)))
    }

    @Test func anEmptyFileOrAnotherFileIsNotTakenAsAnEmptyStore() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        FileManager.default.createFile(atPath: path, contents: Data())
        #expect(kind { () throws(StoreError) in _ = try SQLiteStateStore(path: path) } == .notAStore)
        // The empty file is left as it was, not turned into a store.
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue == 0)
        try Data("apiVersion: v1\nkind: Secret\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(kind { () throws(StoreError) in _ = try SQLiteStateStore(path: path) } == .notAStore)
    }

    @Test func anotherSQLiteDatabaseIsRefusedAStoreOfAnyVersionIsNot() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var db: OpaquePointer?
        sqlite3_open(path, &db)
        sqlite3_exec(db, "CREATE TABLE photos (id INTEGER PRIMARY KEY); INSERT INTO photos VALUES (1)", nil, nil, nil)
        sqlite3_close(db)
        #expect(kind { () throws(StoreError) in _ = try SQLiteStateStore(path: path) } == .notAStore)
        try FileManager.default.removeItem(atPath: path)
        // A store made before stores carried an application id is still one.
        let store = try SQLiteStateStore(path: path)
        try await record(store, "c1")
        sqlite3_open(path, &db)
        sqlite3_exec(db, "PRAGMA application_id = 0", nil, nil, nil)
        sqlite3_close(db)
        #expect(try await SQLiteStateStore(path: path).applied().count == 1)
    }

    @Test func damageIsFoundWhenAWriterOpensTheStoreAndByTheFullCheck() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let store = try SQLiteStateStore(path: path)
            for index in 0..<2_000 { try await record(store, "cluster-\(index)") }
        }
        #expect(try await SQLiteStateStore(path: path, checks: .forWriting).integrityProblems().isEmpty)
        // Garbage over pages 3 to 10, as a failing disk would leave them.
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: 4096 * 2)
        handle.write(Data(repeating: 0x5A, count: 4096 * 8))
        try handle.close()
        #expect(kind { () throws(StoreError) in _ = try SQLiteStateStore(path: path, checks: [.integrity]) } == .damaged)
        // Reads of damaged pages can come back short without an error from SQLite: that is
        // why every command that decides from the store (plan, apply, run) opens it checked.
        let unchecked = try SQLiteStateStore(path: path)
        #expect(try await !(unchecked.integrityProblems()).isEmpty)
    }

    /// A file truncated under a running store is refused at the next call: SQLite itself reads
    /// the lost pages as zeros and would go on writing from its cache until a query reached one.
    @Test func aFileTruncatedUnderARunningStoreIsRefusedAtTheNextCall() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let store = try SQLiteStateStore(path: path)
            for index in 0..<2_000 { try await record(store, "cluster-\(index)") }
        }
        let store = try SQLiteStateStore(path: path)
        try await record(store, "before")
        let size = try #require((try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value)
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.truncate(atOffset: UInt64(size / 3))
        try handle.close()
        let after = AppliedRecord(environment: "production", cluster: "after", addon: "dns", commit: "abc", digest: "d",
                                  appliedAt: Date(timeIntervalSince1970: 10))
        #expect(await kind { () async throws(StoreError) in try await store.recordApply(after) } == .damaged)
        #expect(await kind { () async throws(StoreError) in _ = try await store.applied() } == .damaged)
    }

    /// Processes starting together on a new store (replicas sharing a file of simulated
    /// objects) all open it: none meets the other's half-made file as an empty one.
    @Test func storesOpenedTogetherOnANewPathAllOpenIt() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for round in 0..<5 {
            let path = directory + "/new-\(round).db"
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<6 { group.addTask { _ = try await SQLiteStateStore.open(path: path, checks: .forWriting) } }
                try await group.waitForAll()
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".new-") }.isEmpty)
        }
    }

    @Test func oneWriterPerEnvironment() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        var held: (any WriterLease)? = try store.lockEnvironment("production", holder: "sluice run")
        let second = kind { () throws(StoreError) in _ = try store.lockEnvironment("production", holder: "sluice apply") }
        guard case .environmentLocked(let holder)? = second else {
            Issue.record("a second writer of production was not refused: \(String(describing: second))")
            return
        }
        #expect(holder.contains("sluice run") && holder.contains("pid \(getpid())"))
        // Another environment proceeds; the lock is free again once released.
        let staging = try store.lockEnvironment("staging", holder: "sluice apply")
        withExtendedLifetime(held) {}
        held = nil
        #expect(kind { () throws(StoreError) in _ = try store.lockEnvironment("production", holder: "sluice apply") } == nil)
        withExtendedLifetime(staging) {}
    }

    @Test func aDatabaseKeptLockedIsBusyNotAnError() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        var other: OpaquePointer?
        sqlite3_open(path, &other)
        sqlite3_exec(other, "BEGIN IMMEDIATE", nil, nil, nil)
        defer {
            sqlite3_exec(other, "ROLLBACK", nil, nil, nil)
            sqlite3_close(other)
        }
        let error = await kind { () async throws(StoreError) in
            let impatient = try SQLiteStateStore(path: path, busyTimeoutMilliseconds: 20)
            try await impatient.recordApply(AppliedRecord(environment: "e", cluster: "c", addon: "a", commit: "x", digest: "d", appliedAt: Date()))
        }
        #expect(error == .busy)
        withExtendedLifetime(store) {}
    }

    /// One writer per store however its path is spelt: through a symlink the same lock is
    /// taken; a second name (hard link) is refused rather than locked apart.
    @Test func theLockBelongsToTheStoreNotItsPath() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStateStore(path: path)
        let link = directory + "/through-a-link.db"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        let other = try SQLiteStateStore(path: link)
        let held = try store.lockEnvironment("production", holder: "first")
        guard case .environmentLocked(let holder)? = kind({ () throws(StoreError) in _ = try other.lockEnvironment("production", holder: "second") }) else {
            Issue.record("a lock through a symlink was not refused")
            return
        }
        #expect(holder.hasPrefix("first, pid \(getpid())"))
        // Another environment of the same store is free.
        _ = try other.lockEnvironment("staging", holder: "second")
        withExtendedLifetime(held) {}
    }

    /// A hard link would give SQLite two write-ahead logs of one file: refused by any name.
    @Test func aStoreWithTwoNamesIsRefused() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try SQLiteStateStore(path: path)
        let hard = directory + "/second-name.db"
        try FileManager.default.linkItem(atPath: path, toPath: hard)
        #expect(kind { () throws(StoreError) in _ = try SQLiteStateStore(path: hard) } == .linked(names: 2))
        #expect(kind { () throws(StoreError) in _ = try SQLiteStateStore(path: path) } == .linked(names: 2))
    }
}
