import ArgumentParser
import Foundation
import SluiceCore
import SluiceSQLite
import SluiceStore
import SluiceGit
import SluiceSimulation
import SluiceStorePostgres

/// A store a command opened: a SQLite file, or a PostgreSQL database shared by replicas.
struct OpenedStore {
    let store: any StateStore
    /// Where it is, for messages: the file's path, or the URL without user or options.
    let name: String
    /// Simulated clusters' objects: in the SQLite store's own file, or, beside a PostgreSQL
    /// store, in a SQLite file of their own (they are the simulation's clusters, not records).
    let simulated: SQLiteStateStore
    /// The newest history event, which marks simulated clusters' audit log (nil: the SQLite
    /// store's own, read in the same transaction).
    var historyMark: SQLiteSimulatedObjects.HistoryMark? = nil

    var sqlite: SQLiteStateStore? { store as? SQLiteStateStore }
}

struct StateOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The state store: a SQLite file (default: .sluice/state.db beside the repo), or postgres://USER@HOST[:PORT]/DATABASE[?sslmode=...] (the password from PGPASSWORD or a password file, never the URL).",
                                            valueName: "path-or-url"))
    var state: String?

    @Option(name: .long, help: ArgumentHelp("Beside a PostgreSQL store: the SQLite file of simulated clusters' objects (default: .sluice/simulated.db beside the repo).",
                                            valueName: "path"))
    var simulatedObjects: String?

    var isPostgres: Bool { state.map(Self.isPostgresURL) ?? false }

    static func isPostgresURL(_ text: String) -> Bool { text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") }

    func path(repo: String) -> String {
        if let state { return state }
        return Self.folder(repo: repo) + "/state.db"
    }

    static func folder(repo: String) -> String { (FleetSource.isURL(repo) ? "." : repo) + "/.sluice" }

    /// Opens the store, creating it if need be (commands that write); an unusable one (empty,
    /// not a Sluice store, damaged, of a newer version, unreachable, or read-only for a
    /// command that writes) is an error with its reason (exit 1), before anything is done.
    func open(repo: String, output: OutputFormat, checks: SQLiteStateStore.Checks = .forWriting, create: Bool = true,
              leaseSeconds: Double = PostgresLeases.defaultSeconds) async throws -> OpenedStore {
        do {
            if let state, Self.isPostgresURL(state) {
                let store = try await PostgresStateStore.open(url: state, create: create, leaseSeconds: leaseSeconds)
                let objects = simulatedObjects ?? Self.folder(repo: repo) + "/simulated.db"
                try prepareFolder(objects, repo: repo, named: simulatedObjects != nil)
                return OpenedStore(store: store, name: store.name, simulated: try await SQLiteStateStore.open(path: objects, checks: checks),
                                   historyMark: { () async throws(StoreError) -> Int64 in try await store.historyMark() })
            }
            let path = path(repo: repo)
            try prepareFolder(path, repo: repo, named: state != nil)
            let store = try await SQLiteStateStore.open(path: path, checks: checks)
            return OpenedStore(store: store, name: path, simulated: store)
        } catch let error as StoreError {
            // The message names the store; no line of a file is at fault.
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Opens a store that must exist already (read-only commands never create one).
    func openExisting(repo: String, output: OutputFormat) async throws -> OpenedStore {
        guard !isPostgres else { return try await open(repo: repo, output: output, checks: [], create: false) }
        let path = path(repo: repo)
        guard FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data("error: no state store at \(path): nothing has been applied or run with this --state yet\n".utf8))
            throw ExitCode(1)
        }
        return try await open(repo: repo, output: output, checks: [])
    }

    /// The store for a read-only command that can do without one (`plan`): without a store
    /// file, an empty store in memory (nothing recorded), said in one line; none is created.
    func openForReading(repo: String, output: OutputFormat, checks: SQLiteStateStore.Checks) async throws -> OpenedStore {
        guard !isPostgres else { return try await open(repo: repo, output: output, checks: checks, create: false) }
        let path = path(repo: repo)
        guard !FileManager.default.fileExists(atPath: path) else { return try await open(repo: repo, output: output, checks: checks) }
        if state != nil { try prepareFolder(path, repo: repo, named: true) }
        FileHandle.standardError.write(Data("note: no state store at \(path): planned against nothing recorded\n".utf8))
        do {
            let store = try await SQLiteStateStore.open(path: ":memory:")
            return OpenedStore(store: store, name: path, simulated: store)
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// The folder of a store file: the default `.sluice/` is made (ignored by Git, so it never
    /// shows in the fleet repo's `git status`); a path named on the command line whose folder
    /// does not exist is a typo, not a new empty store.
    private func prepareFolder(_ path: String, repo: String, named: Bool) throws {
        let folder = (path as NSString).deletingLastPathComponent
        guard !named else {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                FileHandle.standardError.write(Data("error: \(path): the folder \(folder) does not exist\n".utf8))
                throw ExitCode(1)
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let ignore = folder + "/.gitignore"
            if !FileManager.default.fileExists(atPath: ignore) {
                try "# Sluice's state store: local to this machine, never committed.\n*\n".write(toFile: ignore, atomically: true, encoding: .utf8)
            }
        } catch {
            FileHandle.standardError.write(Data("error: cannot create the state folder \(folder): \((error as NSError).localizedDescription)\n".utf8))
            throw ExitCode(1)
        }
    }
}
