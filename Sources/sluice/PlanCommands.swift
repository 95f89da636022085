import ArgumentParser
import Foundation
import SluiceCore
import SluiceSQLite
import SluiceDrivers
import SluiceGit
import SluiceKubernetes
import SluiceModel
import SluiceYAML
import SluicePlan
import SluiceRollout
import SluiceSimulation
import SluiceStore

struct ClusterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The kubeconfig for clusters with a kubernetes connection (default: KUBECONFIG, then ~/.kube/config, then the pod's service account).",
                               valueName: "path"))
    var kubeconfig: String?

    /// Simulated clusters keep their objects in a SQLite file (`OpenedStore.simulated`).
    func connector(store: OpenedStore, clock: any FleetClock) -> ClusterConnector {
        let loader = KubeconfigLoader(explicitPath: kubeconfig)
        // Beside a PostgreSQL store, replicas share the file: no process caches what another writes.
        return ClusterConnector(objects: SQLiteSimulatedObjects(store.simulated, historyMark: store.historyMark), clock: clock, kubernetes: KubeconfigConnections(loader: loader, clock: clock),
                                shared: store.sqlite == nil)
    }
}

struct PlanScope: ParsableArguments {
    @Option(help: "Only this environment.") var env: String?
    @Option(help: "Only this cluster.") var cluster: String?

    var selection: PlanSelection { PlanSelection(environment: env, cluster: cluster) }
}

/// The revision to plan (`EnvironmentRevision`); with `--worktree` the working tree's.
func revision(_ repo: RepoOptions, env: String?, requireOnBranch: Bool, force: Bool) throws -> String? {
    guard !repo.worktree else { return repo.rev }
    do {
        return try EnvironmentRevision.resolve(path: repo.repo, environment: env, revision: repo.rev, requireOnBranch: requireOnBranch && !force)
    } catch {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(1)
    }
}

/// Plans the commit: the planner's errors become exit codes (1 invalid, 2 unknown selection).
func runPlanner(_ repo: RepoOptions, scope: PlanScope, store: any StateStore, clock: any FleetClock, connector: ClusterConnector,
                output: OutputFormat, detail: PlanDetail, requireOnBranch: Bool = false, force: Bool = false) async throws -> PlanResult {
    let opened: FleetSource.Opened
    let rev = try revision(repo, env: scope.env, requireOnBranch: requireOnBranch, force: force)
    do {
        opened = try repo.open(revision: rev)
    } catch {
        try fail([Diagnostic(message: "\(error)")], output: output)
    }
    let planner = FleetPlanner(store: store, connector: connector)
    do {
        return try await planner.plan(opened.tree, gitPath: opened.repository?.path, selection: scope.selection, detail: detail)
    } catch {
        switch error {
        case .invalid(let problems): try fail(problems, output: output)
        case .selection(let why):
            FileHandle.standardError.write(Data("error: \(why)\n".utf8))
            throw ExitCode(2)
        case .store(let why): try fail([Diagnostic(message: why)], output: output)
        }
    }
}

struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a commit would change, cluster by cluster, in rollout order.",
        discussion: "With --env and no --rev, the head of the environment's branch is planned. Exit codes: 0 no changes, 1 invalid commit, 2 usage, 4 changes present.")

    @OptionGroup var repo: RepoOptions
    @OptionGroup var state: StateOptions
    @OptionGroup var scope: PlanScope
    @OptionGroup var clusters: ClusterOptions
    @Option(name: [.short, .long], help: "text, json or markdown (a pull request comment)") var output: PlanOutputFormat = .text
    @Flag(help: "Text: one line per (stage, batch, cluster, add-on) with its version before -> after, no diffs.") var summary = false
    @Option(help: "Markdown: at most this many characters (what does not fit is counted, not cut).") var maxCharacters = 60_000

    enum PlanOutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, markdown
        /// Errors are printed as for text (markdown) or JSON.
        var errors: OutputFormat { self == .json ? .json : .text }
    }

    func validate() throws {
        if maxCharacters < 1_000 { throw ValidationError("--max-characters must be at least 1000") }
    }

    func run() async throws {
        // Read, not written; but a damaged store must not make a plan say "no changes".
        let store = try await state.openForReading(repo: repo.repo, output: output.errors, checks: [.integrity])
        let clock = SystemClock()
        let result = try await runPlanner(repo, scope: scope, store: store.store, clock: clock,
                                          connector: clusters.connector(store: store, clock: clock), output: output.errors, detail: .summary)
        switch output {
        case .text:
            let color = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
            let formatter = PlanTextFormatter(color: color)
            print(summary ? formatter.summary(result.plan) : formatter.format(result.plan), terminator: "")
        case .json:
            print(JSONOutput.encode(result.plan))
        case .markdown:
            print(PlanMarkdownFormatter(maxCharacters: maxCharacters).format(result.plan), terminator: "")
        }
        if result.plan.hasChanges { throw ExitCode(4) }
    }
}

struct Apply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the commit's plan to an environment's clusters at once and record it (no pipeline).",
        discussion: "Without --rev, the head of the environment's branch is applied. Each add-on is applied in dependency order, waited for until healthy, then recorded. Nothing is applied when the commit is invalid, a pair is blocked, a cluster is unreachable, or --rev is not on the environment's branch (unless --force). Exit codes: 0 applied, 1 invalid or refused, 2 usage, 3 an add-on failed, 4 another sluice is changing the environment.")

    @OptionGroup var repo: RepoOptions
    @OptionGroup var state: StateOptions
    @Option(help: "The environment to apply.") var env: String
    @Option(help: "Only this cluster.") var cluster: String?
    @Flag(help: "Waits advance a virtual clock instead of sleeping.") var virtualTime = false
    @Option(help: "Clusters applied at the same time (at least 1).") var concurrency = 4
    @Flag(help: "Apply a --rev that is not on the environment's branch.") var force = false
    @OptionGroup var clusters: ClusterOptions

    func validate() throws {
        if concurrency < 1 { throw ValidationError("--concurrency must be at least 1, found \(concurrency)") }
    }

    func run() async throws {
        let store = try await state.open(repo: repo.repo, output: .text)
        let clock: any FleetClock = virtualTime ? VirtualClock(start: Date()) : SystemClock()
        let scope = PlanScope(env: env, cluster: cluster)
        let connector = clusters.connector(store: store, clock: clock)
        let result = try await runPlanner(repo, scope: scope, store: store.store, clock: clock, connector: connector, output: .text,
                                          detail: .apply, requireOnBranch: true, force: force)
        let applier = PlanApplier(store: store.store, connector: connector, clock: clock,
                                  concurrency: concurrency)
        let report: PlanApplier.Report
        do { report = try await applier.apply(result) } catch {
            FileHandle.standardError.write(Data("error: nothing applied:\n\(error.description)\n".utf8))
            // Another writer holds the environment: worth trying again later.
            if case .environmentLocked? = error.store { throw ExitCode(4) }
            throw ExitCode(1)
        }
        print("applied \(result.plan.commit.prefix(12)) to \(env): \(report.operations) object operations, \(report.recorded) add-ons recorded")
        guard report.failures.isEmpty else {
            for failure in report.failures { FileHandle.standardError.write(Data("failed: \(failure)\n".utf8)) }
            throw ExitCode(3)
        }
    }
}

extension PlanScope {
    init(env: String?, cluster: String?) {
        self.init()
        self.env = env
        self.cluster = cluster
    }
}
