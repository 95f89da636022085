import ArgumentParser

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
}
