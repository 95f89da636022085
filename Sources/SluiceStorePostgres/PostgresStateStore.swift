import Foundation
import Synchronization
import SluiceCore
import SluiceStore

/// The state store on PostgreSQL (DESIGN §7), for several replicas of the controller sharing
/// one fleet: the same contract as the SQLite store (`StateStoreContract`), through libpq on
/// threads of its own, and writes fenced by the environments' leases (`PostgresLeases`): a
/// store that held an environment's lease writes that environment only while the lease is
/// still its own, checked inside each transaction.
public final class PostgresStateStore: StateStore {
    /// The URL without user, password or query, for messages.
    public let name: String
    /// The URL it was opened with (never holds a password: such URLs are refused).
    public let url: String
    let writer: PostgresWorker
    let readers: [PostgresWorker]
    private let nextReader = Atomic<Int>(0)
    let leases: PostgresLeases

    /// Reading connections beside the writing one: a status page's reads never wait for a step.
    static let readerCount = 2

    /// Opens the store at `url` (`postgres://` or `postgresql://`; libpq reads its query,
    /// `sslmode` and the rest) and brings its schema up to date; a store of a newer version is refused. A URL
    /// with a password in it is refused: it would show in `ps` and in shell histories
    /// (libpq reads `PGPASSWORD`, `PGPASSFILE` or `~/.pgpass`).
    /// Without `create`, a database that holds no Sluice store yet is refused (read-only
    /// commands never create one).
    public static func open(url: String, create: Bool = true, leaseSeconds: Double = PostgresLeases.defaultSeconds) async throws(StoreError) -> PostgresStateStore {
        let name = try PostgresURL.checked(url)
        let store = PostgresStateStore(url: url, name: name, leaseSeconds: leaseSeconds)
        switch try await store.writer.run({ db throws(PostgresError) in try Self.migrate(db, create: create) }) {
        case .current:
            return store
        case .missing:
            throw StoreError("no state store in \(name): nothing has been applied or run with this --state yet", kind: .notAStore)
        case .notAStore:
            throw StoreError("\(name) has tables named as Sluice's but is not a Sluice state store: name another database with --state", kind: .notAStore)
        case .newer(let version):
            throw StoreError("state store \(name) has schema version \(version), newer than this sluice knows (\(PostgresSchema.version)); upgrade sluice",
                             kind: .newerSchema(version))
        }
    }

    private init(url: String, name: String, leaseSeconds: Double) {
        self.name = name
        self.url = url
        writer = PostgresWorker(url: url, name: name, label: "sluice.postgres.writer", session: PostgresLeases.session(leaseSeconds))
        readers = (0..<Self.readerCount).map { PostgresWorker(url: url, name: name, label: "sluice.postgres.reader\($0)") }
        leases = PostgresLeases(url: url, name: name, seconds: leaseSeconds)
    }

    deinit {
        leases.stop()
        writer.drain()
        for reader in readers { reader.drain() }
    }

    /// The schema version the store is at.
    public func schemaVersion() async throws(StoreError) -> Int {
        try await reading { db throws(PostgresError) in Int(try db.query("SELECT version FROM sluice_store").first?.first.flatMap { $0 } ?? "") ?? 0 }
    }

    enum Migration: Sendable {
        case current
        case missing
        case notAStore
        case newer(Int)
    }

    /// Brings the schema up to date in one transaction, under an advisory lock so that
    /// replicas starting together migrate once.
    static func migrate(_ db: PostgresConnection, create: Bool) throws(PostgresError) -> Migration {
        try db.transaction { () throws(PostgresError) -> Migration in
            try db.query("SELECT pg_advisory_xact_lock($1::bigint)", [String(PostgresSchema.migrationLock)])
            var current = 0
            if try db.query("SELECT to_regclass('sluice_store') IS NOT NULL").first?.first == "t" {
                current = Int(try db.query("SELECT version FROM sluice_store").first?.first.flatMap { $0 } ?? "0") ?? 0
            } else if try db.query("SELECT to_regclass('applied') IS NOT NULL OR to_regclass('history') IS NOT NULL").first?.first == "t" {
                return .notAStore
            } else if !create {
                return .missing
            }
            guard current <= PostgresSchema.version else { return .newer(current) }
            for version in current..<PostgresSchema.version {
                try db.execute(PostgresSchema.migrations[version])
                try db.query("UPDATE sluice_store SET version = $1::integer", [String(version + 1)])
            }
            return .current
        }
    }

    /// Runs `body` on the writing connection's thread, in a transaction, after checking that
    /// every environment it writes is not fenced off (a lease this store held and lost).
    func writing<T: Sendable>(environments: Set<String>,
                              _ body: @escaping @Sendable (PostgresConnection) throws(PostgresError) -> T) async throws(StoreError) -> T {
        let fences = try leases.fences(for: environments)
        do {
            return try await writer.run { db throws(PostgresError) in
                try db.transaction { () throws(PostgresError) -> T in
                    for fence in fences { try PostgresLeases.check(fence, in: db) }
                    return try body(db)
                }
            }
        } catch {
            throw leases.lostIfFenced(error)
        }
    }

    /// Runs `body` on a reading connection's thread (optionally in one snapshot).
    func reading<T: Sendable>(snapshot: Bool = false, _ body: @escaping @Sendable (PostgresConnection) throws(PostgresError) -> T) async throws(StoreError) -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await readers[index % readers.count].run { db throws(PostgresError) in
            snapshot ? try db.transaction(snapshot: true) { () throws(PostgresError) in try body(db) } : try body(db)
        }
    }

    public func lockEnvironment(_ environment: String, holder: String) async throws(StoreError) -> any WriterLease {
        try await leases.take(environment, holder: holder)
    }
}

/// Which store a URL names, checked before libpq sees it.
enum PostgresURL {
    /// The name to show (scheme, host, port, database: no user, password or options), or
    /// an error for a URL libpq would read a password from.
    static func checked(_ url: String) throws(StoreError) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw StoreError("state store \(url.prefix(12))...: not a postgres:// or postgresql:// URL")
        }
        let shown = "\(scheme)://\(components.host ?? "")\(components.port.map { ":\($0)" } ?? "")\(components.path)"
        if components.password != nil || (components.queryItems ?? []).contains(where: { $0.name == "password" }) {
            throw StoreError("state store \(shown): the URL holds a password, which `ps` and shell histories would show; give it in PGPASSWORD or a password file (PGPASSFILE, ~/.pgpass)")
        }
        return shown
    }
}

extension PostgresStateStore: ReplicaRegistry {
    public func heartbeat(replica: String, seconds: Double) async throws(StoreError) -> Int {
        try await writing(environments: []) { db throws(PostgresError) -> Int in
            try db.query("""
                INSERT INTO replicas (id, expires_at) VALUES ($1, clock_timestamp() + make_interval(secs => $2::float8))
                ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
                """, [replica, String(seconds)])
            // Replicas gone for a day are forgotten.
            try db.query("DELETE FROM replicas WHERE expires_at < clock_timestamp() - interval '1 day'")
            return Int(try db.query("SELECT count(*) FROM replicas WHERE expires_at > clock_timestamp()").first?.first.flatMap { $0 } ?? "1") ?? 1
        }
    }

    public func leave(replica: String) async {
        _ = try? await writing(environments: []) { db throws(PostgresError) in
            try db.query("DELETE FROM replicas WHERE id = $1", [replica])
        }
    }
}
