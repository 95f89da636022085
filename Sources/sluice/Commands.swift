import ArgumentParser
import Foundation
import SluiceGit
import SluiceModel
import SluiceSchemas
import SluiceYAML
import SluicePlan
import SluiceRender

/// Prints diagnostics to stderr (or JSON to stdout) and exits 1.
func fail(_ diagnostics: [Diagnostic], output: OutputFormat) throws -> Never {
    switch output {
    case .text:
        let text = diagnostics.map(\.description).joined(separator: "\n")
        // One problem that is already an `error:` line needs no count after it.
        let single = diagnostics.count == 1 && !diagnostics[0].hasLocation
        let count = single ? "" : "error: \(diagnostics.count) problem\(diagnostics.count == 1 ? "" : "s") found\n"
        FileHandle.standardError.write(Data((text + "\n" + count).utf8))
    case .json:
        print(JSONOutput.encode(JSONOutput.Errors(valid: false, errors: diagnostics.map(JSONOutput.DiagnosticEntry.init))))
    }
    throw ExitCode(1)
}

/// Opens the repo; a Git or file problem is invalid input (exit 1), not a crash.
func openTree(_ options: RepoOptions, output: OutputFormat) throws -> SourceTree {
    do {
        return try options.open(revision: options.rev).tree
    } catch {
        try fail([Diagnostic(message: "\(error)")], output: output)
    }
}

/// An unknown `--env` or `--cluster`: the same message and exit code (2, usage) in every
/// command. A repo that cannot be read is left to the command to report.
func checkSelection(_ repository: FleetRepository?, env: String?, cluster: String?) throws {
    guard let repository, let problem = repository.selectionProblem(environment: env, cluster: cluster) else { return }
    FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
    throw ExitCode(2)
}

/// The fleet at the repo's HEAD (or as a directory), when it can be read.
func headRepository(_ repo: String) -> FleetRepository? {
    guard let tree = try? FleetSource.open(repo, revision: nil).tree else { return nil }
    return try? FleetLoader().load(tree)
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a commit: files, references, add-on graphs, every template for every cluster, policies.",
        discussion: """
            Every problem is reported at once, as file:line:column: message where there is a place. \
            With --schemas, every rendered object is also checked against the OpenAPI v3 documents in the folder \
            (as the API server serves them: kubectl get --raw /openapi/v3/apis/apps/v1 > apps-v1.json) and the \
            CustomResourceDefinitions the cluster's add-ons render. Exit codes: 0 valid, 1 invalid, 2 usage.
            """)

    @OptionGroup var repo: RepoOptions
    @Option(name: [.short, .long], help: "text or json") var output: OutputFormat = .text
    @Flag(help: "Also print the rollout order the commit implies.") var order = false
    @Option(help: ArgumentHelp("Check rendered objects against the OpenAPI v3 documents (*.json) in this folder.", valueName: "dir"))
    var schemas: String?

    func run() throws {
        let tree = try openTree(repo, output: output)
        var validator = CommitValidator()
        if let schemas {
            do { validator.schemaCheck = SchemaCheck(schemas: try KubernetesSchemas.load(directory: schemas)) } catch {
                try fail([Diagnostic(message: "--schemas: \(error)")], output: output)
            }
        }
        let fleet: CommitValidator.ValidatedFleet
        do { fleet = try validator.validate(tree) } catch { try fail(error.diagnostics, output: output) }
        let outline = RolloutOutline(repository: fleet.repository, graphs: fleet.graphs)
        let objects = fleet.objectCount
        switch output {
        case .text:
            let r = fleet.repository
            print("valid: \(tree.label): \(r.fleet.environments.count) environments, \(r.clusters.count) clusters, \(r.addons.count) add-ons, \(r.releases.count) releases, \(fleet.pairs.count) (cluster, add-on) pairs rendered to \(objects) objects")
            if order { print(outline.text, terminator: "") }
        case .json:
            print(JSONOutput.encode(JSONOutput.Valid(valid: true, commit: tree.commit?.hex, pairs: fleet.pairs.count,
                                                     objects: objects, rollout: order ? outline : nil)))
        }
    }
}

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the add-on dependency graph of a release.",
        discussion: "Every release when --release is not given (Mermaid: one flowchart, a subgraph per release). Exit codes: 0 shown, 1 invalid repo or unknown release, 2 usage.")

    @OptionGroup var repo: RepoOptions
    @Option(help: "The release (default: every release).") var release: String?
    @Option(help: "text, dot or mermaid") var format: GraphFormatter.Format = .text

    func run() throws {
        let tree = try openTree(repo, output: .text)
        let repository: FleetRepository
        do { repository = try FleetLoader().load(tree) } catch { try fail(error.diagnostics, output: .text) }
        let names = release.map { [$0] } ?? repository.releases.keys.sorted()
        var graphs: [AddonGraph] = []
        for name in names {
            guard let release = repository.releases[name] else {
                try fail([Diagnostic(message: "no release named \"\(name)\"\(Suggestion.hint(for: name, in: repository.releases.keys))")], output: .text)
            }
            do { graphs.append(try AddonGraph.build(release: release, addons: repository.addons)) } catch {
                try fail(error.diagnostics, output: .text)
            }
        }
        print(GraphFormatter.format(graphs, as: format), terminator: "")
    }
}

extension GraphFormatter.Format: ExpressibleByArgument {}

struct Render: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a cluster's rendered manifests as a YAML stream.",
        discussion: "Chart add-ons' random values come from the state store's render secret when the store exists (as plan and apply draw them); without one, from a secret made for this run. Exit codes: 0 printed, 1 invalid commit or an add-on the cluster does not run, 2 usage or an unknown cluster.")

    @OptionGroup var repo: RepoOptions
    @OptionGroup var state: StateOptions
    @Option(help: "The cluster to render for.") var cluster: String
    @Option(help: "Only this add-on.") var addon: String?
    @Option(name: [.short, .long], help: "text (YAML) or json") var output: OutputFormat = .text

    func run() async throws {
        let tree = try openTree(repo, output: output)
        let repository: FleetRepository
        do { repository = try FleetLoader().load(tree) } catch { try fail(error.diagnostics, output: output) }
        // The store's render secret, read (never made) when a chart add-on may draw from it.
        var secret: [UInt8]? = nil
        if repository.addons.values.contains(where: { $0.chart != nil }),
           state.isPostgres || FileManager.default.fileExists(atPath: state.path(repo: repo.repo)) {
            let opened = try await state.openExisting(repo: repo.repo, output: output)
            do { secret = try await opened.store.renderSecret() } catch {
                FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
                throw ExitCode(1)
            }
        }
        let renderer: FleetRenderer
        do { renderer = try FleetRenderer(repository: repository, renderSecret: secret) } catch { try fail(error.diagnostics, output: output) }
        try checkSelection(repository, env: nil, cluster: cluster)
        guard let target = repository.clusters[cluster] else { throw ExitCode(2) }
        let objects: [RenderedObject]
        do { objects = try ClusterManifests.render(target, addon: addon, repository: repository, renderer: renderer) } catch {
            try fail(error.diagnostics, output: output)
        }
        switch output {
        case .text:
            // `# Source:` as `helm template` prints it (Helm's template name for a chart add-on).
            print(objects.map { "---\n# Source: \($0.helmSource ?? $0.template)\n" + YAMLEmitter.emit($0.object) }.joined(), terminator: "")
        case .json: print(JSONEmitter.emit(.list(objects.map(\.object))))
        }
    }
}
