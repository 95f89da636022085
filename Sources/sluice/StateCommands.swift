import ArgumentParser
import Foundation
import SluiceCore
import SluiceStore

/// `sluice state check`: SQLite's full integrity check of the state store.
struct StateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Inspect the state store.",
        discussion: "Exit codes: those of the subcommand; 2 usage.",
        subcommands: [StateCheck.self])
}

struct StateCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check the state store for damage (SQLite's integrity check of every page and index).",
        discussion: "Exit codes: 0 sound, 1 damaged, empty, not a Sluice store, or missing.")

    @Option(name: .long, help: "The fleet repo.") var repo: String = "."
    @OptionGroup var state: StateOptions

    func run() async throws {
        let store = try await state.openExisting(repo: repo, output: .text)
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
