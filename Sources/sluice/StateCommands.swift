import ArgumentParser
import Foundation
import SluiceCore
import SluiceSQLite
import SluiceStore
import SluiceStorePostgres

/// `sluice state check|migrate`: the state store's integrity, and copying a SQLite store into PostgreSQL.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Inspect the state store, or copy it into PostgreSQL.",
        discussion: "Exit codes: those of the subcommand; 2 usage.",
        subcommands: [StateCheck.self, StateMigrate.self])
}

struct StateCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the state store for damage (SQLite's integrity check of every page and index; for PostgreSQL, that it answers at a schema this sluice reads).",
        discussion: "Exit codes: 0 sound, 1 damaged, empty, not a Sluice store, unreachable, or missing.")

    @Option(name: .long, help: "The fleet repo.") var repo: String = "."
    @OptionGroup var state: StateOptions

    func run() async throws {
        let opened = try await state.openExisting(repo: repo, output: .text)
        guard let store = opened.sqlite else {
            // PostgreSQL checks its own pages; opening read the schema version and refused a newer one.
            print("\(opened.name): ok")
            return
        }
        let problems: [String]
        do { problems = try await store.integrityProblems() } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        guard problems.isEmpty else {
            FileHandle.standardError.write(Data("\(store.path): damaged (the first problems SQLite finds):\n\(problems.map { "  \($0)" }.joined(separator: "\n"))\n".utf8))
            throw ExitCode(1)
        }
        print("\(store.path): ok")
    }
}

struct StateMigrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a SQLite state store into a PostgreSQL one (records, history, rollouts, commands, freezes, drift), then check the copy.",
        discussion: "Stop every sluice writing the SQLite store first. The target must hold no records yet; the copy is one transaction. Simulated clusters' objects stay in the SQLite file (name it with --simulated-objects). Exit codes: 0 copied and checked, 1 a store cannot be read or written, the target is not empty, or the copy differs, 2 usage.")

    @Option(help: ArgumentHelp("The SQLite store to copy.", valueName: "path")) var from: String
    @Option(help: ArgumentHelp("The PostgreSQL store to copy into (password from PGPASSWORD or a password file).", valueName: "url")) var to: String

    func validate() throws {
        guard StateOptions.isPostgresURL(to) else { throw ValidationError("--to must be a postgres:// or postgresql:// URL") }
    }

    func run() async throws {
        guard FileManager.default.fileExists(atPath: from) else {
            FileHandle.standardError.write(Data("error: no state store at \(from)\n".utf8))
            throw ExitCode(1)
        }
        do {
            let source = try await SQLiteStateStore.open(path: from, checks: [.integrity])
            let target = try await PostgresStateStore.open(url: to)
            let copied = try await StoreCopy(from: source, to: target).run()
            print("copied \(from) into \(target.name): \(copied.description); the copy reads back equal")
        } catch {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
