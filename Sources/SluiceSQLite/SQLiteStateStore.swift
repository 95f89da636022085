import CSQLite
import Foundation
import SluiceCore
import SluiceStore
import Synchronization
import SluiceModel
import SluiceYAML

/// The default `StateStore`: one SQLite file in WAL mode, so one writer and any number of
/// readers (this process or others, such as `sluice status`) work at the same time. Each
/// instance has one writing connection and two reading ones, each on a thread of its own
/// (`SQLiteWorker`): writes queue behind one another, reads never wait for a write, and no
/// SQLite call runs on Swift's cooperative threads. (Opening, once per process, runs on the
/// caller's thread.)
public final class SQLiteStateStore: StateStore {
    private let writer: SQLiteWorker
    private let readers: [SQLiteWorker]
    private let nextReader = Atomic<Int>(0)
    public let path: String

    /// What opening checks besides the file being a Sluice store.
    public struct Checks: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The file and its folder can be written (refused before anything is applied).
        public static let writable = Checks(rawValue: 1)
        /// SQLite's `quick_check` finds no damage (reads every page: once per command that writes).
        public static let integrity = Checks(rawValue: 2)
        /// What a command that writes wants.
        public static let forWriting: Checks = [.writable, .integrity]
    }

    /// Opens (creating if needed) the store at `path` and brings its schema up to date. A
    /// store written by a newer Sluice is refused rather than misread; so is a file that is
    /// empty or not a Sluice store (it is never taken as an empty store).
    /// Opens a store on a thread of its own: opening reads and checks the file (with
    /// `.integrity`, a `quick_check` of all of it), which must not hold a cooperative thread.
    public static func open(path: String, checks: Checks = []) async throws(StoreError) -> SQLiteStateStore {
        try await BlockingWork.run { () throws(StoreError) -> SQLiteStateStore in try SQLiteStateStore(path: path, checks: checks) }
    }

    public init(path: String, checks: Checks = [], busyTimeoutMilliseconds: Int32 = 5_000) throws(StoreError) {
        self.path = path
        var existed = try Self.checkFile(path)
        if !existed && path != ":memory:" && !path.isEmpty {
            try Self.create(path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            existed = try Self.checkFile(path)
        }
        let connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
        if existed { try Self.checkIdentity(connection, path: path) }
        if checks.contains(.writable), connection.isReadOnly || !Self.canWrite(path) {
            throw StoreError("state store \(path) cannot be written: check the permissions of the file and its folder (nothing was applied)",
                             kind: .readOnly)
        }
        try connection.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON")
        if checks.contains(.integrity) { try Self.checkIntegrity(connection, path: path) }
        try Self.migrate(connection)
        let damage = SQLiteDamage()
        writer = SQLiteWorker(connection, label: "sluice.sqlite.writer", damage: damage)
        // An in-memory database is one connection's own: it reads through the writer.
        guard path != ":memory:" && !path.isEmpty else {
            readers = [writer]
            return
        }
        var readers: [SQLiteWorker] = []
        for index in 0..<Self.readerCount {
            let reader = try SQLiteConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            try reader.execute("PRAGMA query_only = 1")
            readers.append(SQLiteWorker(reader, label: "sluice.sqlite.reader\(index)", damage: damage))
        }
        self.readers = readers
    }

    deinit {
        // The connections close here, on the caller's thread, not later on a worker's.
        for worker in readers where worker !== writer { worker.drain() }
        writer.drain()
    }

    /// Reading connections: the controller's reads and a status page's go side by side.
    static let readerCount = 2

    public func lockEnvironment(_ environment: String, holder: String) throws(StoreError) -> any WriterLease {
        try EnvironmentLock(storePath: path, environment: environment, holder: holder)
    }

    /// SQLite's full `integrity_check` (`sluice state check`): the first 20 problems found, none when sound.
    /// On the writing connection, which has read the schema when it opened the store: a new
    /// reading connection would fail on the first damaged page instead of listing problems.
    public func integrityProblems() async throws(StoreError) -> [String] {
        try await writing { db throws(StoreError) in try Self.problems(db, check: "integrity_check") }
    }

    /// What `PRAGMA <check>` reports, without its "ok".
    private static func problems(_ db: SQLiteConnection, check: String) throws(StoreError) -> [String] {
        try db.query("PRAGMA \(check)(20)").compactMap { $0.first?.text }.filter { $0 != "ok" }
    }

    /// A new store is made whole under another name and renamed into place only if nothing
    /// is there yet: two processes starting on a new path at once (replicas sharing one file
    /// of simulated objects) never see each other's half-made, empty file, which would be
    /// refused as no store. The loser opens the winner's.
    private static func create(_ path: String, busyTimeoutMilliseconds: Int32) throws(StoreError) {
        let temporary = "\(path).new-\(UUID().uuidString)"
        defer { for suffix in ["", "-wal", "-shm", "-journal"] { unlink(temporary + suffix) } }
        do {
            let db = try SQLiteConnection(path: temporary, busyTimeoutMilliseconds: busyTimeoutMilliseconds)
            try db.execute("PRAGMA journal_mode = WAL")
            try migrate(db)
        }  // closed here: the last connection folds its log into the file
        if sluice_renameat2(AT_FDCWD, temporary, AT_FDCWD, path, 1 /* RENAME_NOREPLACE */) == 0 || errno == EEXIST { return }
        // A file system without renameat2's no-replace: a second name, then the first removed.
        if link(temporary, path) != 0 && errno != EEXIST {
            throw StoreError("cannot create state store \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a store file exists; one that does must look like SQLite's.
    private static func checkFile(_ path: String) throws(StoreError) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return false }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        // SQLite names its write-ahead log after the path: two names, two logs, one damaged store.
        let names = (attributes[.referenceCount] as? NSNumber)?.intValue ?? 1
        guard names <= 1 else {
            throw StoreError("state store \(path) has \(names) names (hard links): SQLite would keep a log per name and damage it; keep one name (a symlink is fine)",
                             kind: .linked(names: names))
        }
        guard size > 0 else {
            throw StoreError("\(path) is an empty file, not a Sluice state store: remove it, or name another file with --state", kind: .notAStore)
        }
        let header = FileHandle(forReadingAtPath: path).flatMap { try? $0.read(upToCount: 16) } ?? Data()
        guard header == Data("SQLite format 3\0".utf8) else {
            throw StoreError("\(path) is not a Sluice state store (not an SQLite database): name another file with --state", kind: .notAStore)
        }
        return true
    }

    /// An SQLite file is a Sluice store when it says so (`application_id`) or, written before
    /// that was set, has a schema version and Sluice's `applied` table.
    private static func checkIdentity(_ db: SQLiteConnection, path: String) throws(StoreError) {
        let application = try db.query("PRAGMA application_id").first?.first?.integer ?? 0
        if application == StoreSchema.applicationID { return }
        let version = try db.query("PRAGMA user_version").first?.first?.integer ?? 0
        let tables = try db.query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'applied'").first?.first?.integer ?? 0
        let anyTable = try db.query("SELECT count(*) FROM sqlite_master").first?.first?.integer ?? 0
        guard application == 0, (version > 0 && tables == 1) || (version == 0 && anyTable == 0) else {
            throw StoreError("\(path) is an SQLite database but not a Sluice state store: name another file with --state", kind: .notAStore)
        }
    }

    private static func checkIntegrity(_ db: SQLiteConnection, path: String) throws(StoreError) {
        let problems = try problems(db, check: "quick_check")
        guard problems.isEmpty else {
            throw StoreError("state store \(path) is damaged: \(problems.prefix(3).joined(separator: "; ")); restore it from a backup (`sluice state check` lists what is wrong)",
                             kind: .damaged)
        }
    }

    /// The file and its folder (SQLite writes `-wal` and `-shm` files beside it).
    private static func canWrite(_ path: String) -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        return access(path, W_OK) == 0 && access(folder.isEmpty ? "." : folder, W_OK) == 0
    }

    /// The schema version of the store's file.
    public func schemaVersion() async throws(StoreError) -> Int {
        try await reading { db throws(StoreError) in Int(try db.query("PRAGMA user_version").first?.first?.integer ?? 0) }
    }

    /// The journal mode SQLite reports (`wal`).
    public func journalMode() async throws(StoreError) -> String {
        try await reading { db throws(StoreError) in try db.query("PRAGMA journal_mode").first?.first?.text ?? "" }
    }

    private static func migrate(_ db: SQLiteConnection) throws(StoreError) {
        try db.transaction { () throws(StoreError) in
            let current = Int(try db.query("PRAGMA user_version").first?.first?.integer ?? 0)
            guard current <= StoreSchema.version else {
                throw StoreError("state store \(db.path) has schema version \(current), newer than this sluice knows (\(StoreSchema.version)); upgrade sluice", kind: .newerSchema(current))
            }
            for version in current..<StoreSchema.version {
                try db.execute(StoreSchema.migrations[version])
                try db.execute("PRAGMA user_version = \(version + 1)")
            }
            if current < StoreSchema.version { try db.execute("PRAGMA application_id = \(StoreSchema.applicationID)") }
        }
    }

    /// Runs `body` on the writing connection's thread (writes queue behind one another).
    @discardableResult
    package func writing<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> T) async throws(StoreError) -> T {
        try await writer.run(body)
    }

    /// Runs `body` on a reading connection's thread: it sees every write committed before it
    /// started, and never waits for one under way.
    package func reading<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> T) async throws(StoreError) -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await readers[index % readers.count].run(body)
    }

    // MARK: - History

    public func append(_ event: HistoryEvent) async throws(StoreError) {
        try await writing { db throws(StoreError) in try Self.insert(event, into: db) }
    }

    static func insert(_ event: HistoryEvent, into db: SQLiteConnection) throws(StoreError) {
        func optional(_ text: String?) -> SQLiteConnection.Cell { text.map { .text($0) } ?? .null }
        try db.query("INSERT INTO history (at, kind, environment, cluster, addon, commit_sha, detail, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [.real(event.at.timeIntervalSince1970), .text(event.kind.rawValue), .text(event.environment),
                      optional(event.cluster), optional(event.addon), optional(event.commit), .text(event.detail),
                      optional(event.outcome?.rawValue)])
    }

    public func history(_ filter: HistoryFilter) async throws(StoreError) -> [HistoryEvent] {
        @Sendable func optional(_ text: String?) -> SQLiteConnection.Cell { text.map { .text($0) } ?? .null }
        return try await reading { db throws(StoreError) in
            try db.query("""
                SELECT at, kind, environment, cluster, addon, commit_sha, detail, outcome FROM history
                WHERE (?1 IS NULL OR environment = ?1) AND (?2 IS NULL OR cluster = ?2) AND (?3 IS NULL OR addon = ?3)
                  AND (?4 IS NULL OR at >= ?4) ORDER BY id DESC LIMIT ?5
                """, [optional(filter.environment), optional(filter.cluster), optional(filter.addon),
                      filter.since.map { .real($0.timeIntervalSince1970) } ?? .null, .integer(Int64(max(0, filter.limit)))]).map { row in
                HistoryEvent(at: Date(timeIntervalSince1970: row[0].real ?? 0), kind: HistoryEvent.Kind(rawValue: row[1].text ?? "") ?? .operatorAction,
                             environment: row[2].text ?? "", cluster: row[3].text, addon: row[4].text, commit: row[5].text,
                             detail: row[6].text ?? "", outcome: row[7].text.flatMap(HistoryOutcome.init(rawValue:)))
            }
        }
    }

    /// A stored JSON body back to a value.
    package static func value(_ json: String) throws(StoreError) -> Value {
        do {
            return try JSONReader.read(json)
        } catch {
            throw StoreError("state store holds unreadable JSON: \(error.description)")
        }
    }
}

@_silgen_name("renameat2")
private func sluice_renameat2(_ oldDirectory: Int32, _ old: UnsafePointer<CChar>, _ newDirectory: Int32, _ new: UnsafePointer<CChar>,
                              _ flags: UInt32) -> Int32
