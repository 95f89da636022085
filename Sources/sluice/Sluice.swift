import Foundation
import ArgumentParser
import SluiceGit

struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "A GitOps reconciler for the add-ons of a fleet of Kubernetes clusters.",
        version: sluiceVersion,
        subcommands: [Validate.self, Graph.self, Render.self, Plan.self, Apply.self, Run.self, Status.self, History.self,
                      Pause.self, Resume.self, Approve.self, Freeze.self, Unfreeze.self, StateCommand.self]
    )
}

/// Printed by `sluice --version`.
let sluiceVersion = "0.11.0-dev"

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

struct RepoOptions: ParsableArguments {
    @Option(name: .long, help: "The fleet repo: a path or a URL to clone.")
    var repo: String = "."

    @Option(name: .long, help: "A branch, tag or commit (default: HEAD; a plain directory is read as it is).")
    var rev: String?

    @Flag(help: "Read the Git repo's working tree, uncommitted changes included (for pre-commit hooks and editors).")
    var worktree = false

    func validate() throws {
        if worktree && rev != nil { throw ValidationError("--worktree reads the working tree; it cannot be used with --rev") }
    }

    /// What `--repo`, `--rev` and `--worktree` name.
    func open(revision: String?) throws -> FleetSource.Opened {
        if worktree { return try FleetSource.openWorkingTree(repo) }
        return try FleetSource.open(repo, revision: revision, credentials: .fromEnvironment(ProcessInfo.processInfo.environment))
    }
}
