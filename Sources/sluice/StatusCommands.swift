import ArgumentParser
import Foundation
import SluiceGit
import SluiceModel
import SluiceYAML
import SluiceQueries
import SluiceRollout
import SluiceCore
import SluiceSQLite
import SluiceStore

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each environment's head, applied commit, rollout, forecast and add-on versions.",
        discussion: "Exit codes: 0 shown, 1 the repo or the state store cannot be read, 2 usage.")

    @Option(name: .long, help: "The fleet repo.") var repo: String = "."
    @OptionGroup var state: StateOptions
    @Option(help: "Only this environment.") var env: String?
    @Option(name: [.short, .long], help: "text or json") var output: OutputFormat = .text

    func run() async throws {
        try checkSelection(headRepository(repo), env: env, cluster: nil)
        let store = try await state.openExisting(repo: repo, output: output).store
        let report: StatusReport
        do { report = try await StatusReport.make(store: store, repository: repo, environment: env, now: Date()) } catch {
            try fail([Diagnostic(message: "\(error)")], output: output)
        }
        if let env, report.environments.isEmpty {
            FileHandle.standardError.write(Data("error: no environment named \"\(env)\"\n".utf8))  // the repo could not be read
            throw ExitCode(2)
        }
        switch output {
        case .text: print(StatusText.format(report), terminator: "")
        case .json: print(JSONOutput.encode(report))
        }
    }
}

struct History: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the audit trail: applies, rejections, checks, operator actions, rollout steps.",
        discussion: "Oldest first. Exit codes: 0 shown, 1 the state store cannot be read, 2 usage.")

    @Option(name: .long, help: "The fleet repo.") var repo: String = "."
    @OptionGroup var state: StateOptions
    @Option(help: "Only this environment.") var env: String?
    @Option(help: "Only this cluster.") var cluster: String?
    @Option(help: "Only this add-on.") var addon: String?
    @Option(help: "Only events at or after this time (RFC 3339) or this long ago (1h, 30m).") var since: String?
    @Option(help: "At most this many events (the newest).") var limit = 10_000
    @Option(name: [.short, .long], help: "text or json") var output: OutputFormat = .text

    func validate() throws {
        if let since, HistoryQuery.time(since, now: Date()) == nil { throw ValidationError("--since \(since) is neither an RFC 3339 time nor a duration such as 1h") }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    func run() async throws {
        let store = try await state.openExisting(repo: repo, output: output).store
        let filter = HistoryFilter(environment: env, cluster: cluster, addon: addon, since: since.flatMap { HistoryQuery.time($0, now: Date()) },
                                   limit: limit)
        let events: [HistoryEvent]
        do { events = try await HistoryQuery.events(store, filter) } catch {
            try fail([Diagnostic(file: state.path(repo: repo), message: "\(error)")], output: output)
        }
        // The past may name clusters the repo no longer has: unknown only when neither knows it.
        if events.isEmpty { try checkSelection(headRepository(repo), env: env, cluster: cluster) }
        switch output {
        case .text:
            let formatter = ISO8601DateFormatter()
            for event in events {
                let place = [event.environment, event.cluster, event.addon].compactMap { $0 }.joined(separator: "/")
                let commit = event.commit.map { " @" + String($0.prefix(12)) } ?? ""
                print("\(formatter.string(from: event.at)) \(event.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(place)\(commit): \(event.detail)")
            }
        case .json:
            print(JSONOutput.encode(events.map(JSONOutput.HistoryEntry.init)))
        }
    }
}

/// `sluice pause|resume|approve ENV`: queued in the store for the running controller,
/// which acts at the next batch boundary; `freeze|unfreeze` take effect at once.
struct OperatorAction: ParsableArguments {
    @Argument(help: "The environment.") var environment: String
    @Option(help: "Why (recorded in the history).") var reason: String = ""
    @Option(name: .long, help: "The fleet repo.") var repo: String = "."
    @OptionGroup var state: StateOptions
    @Option(help: ArgumentHelp("Ask a running controller's API at this URL instead of writing its store (token: SLUICE_TOKEN).", valueName: "url"))
    var server: String?

    static let exitCodes = """
        Queued for the controller, which acts on it at its next step; a warning says so when no controller holds the \
        environment now. Exit codes: 0 queued, 1 no state store at the path (one is never created here) or it cannot be \
        written, or (approve) the commit named is not the one that waits, 2 usage, no fleet repo, or an environment it does not define.
        """

    /// The store a controller uses for the environment: the repo must define the environment,
    /// and the store must exist (a store made here would be one no controller reads).
    func checkedStore() async throws -> OpenedStore {
        guard let repository = headRepository(repo) else {
            FileHandle.standardError.write(Data("error: no fleet repo at \(repo) (sluice.yaml at a readable HEAD); pass --repo\n".utf8))
            throw ExitCode(2)
        }
        try checkSelection(repository, env: environment, cluster: nil)
        return try await state.openExisting(repo: repo, output: .text)
    }

    /// Through the API when `--server` names one: prints what the server did. False: act locally.
    func remotely(_ action: String, commit: String? = nil, stage: String? = nil) async throws -> Bool {
        guard let server else { return false }
        let acted = try await RemoteRequests(server: server).act(action, environment: environment, reason: reason, commit: commit, stage: stage)
        let what = acted.commit.map { " (commit \($0.prefix(12))\(acted.stage.map { ", stage \($0)" } ?? ""))" } ?? ""
        print("\(acted.action) of \(acted.environment)\(what) accepted by \(server) as \(acted.by)")
        return true
    }

    func queue(_ verb: OperatorCommand.Verb) async throws {
        if try await remotely(verb.rawValue) { return }
        let store = try await checkedStore()
        do { try await OperatorRequests(store: store.store).queue(verb, environment: environment, user: operatorName(), reason: reason, at: Date()) } catch {
            try refused(error)
        }
        await queued(verb, store)
    }

    func queued(_ verb: OperatorCommand.Verb, _ store: OpenedStore) async {
        print("\(verb.rawValue) queued for \(environment): the controller acts on it at the next batch boundary")
        await warnWithoutController(store)
    }

    /// A refusal's exit: 2 for a usage error (a stage the pipeline does not have), else 1.
    func refused(_ refusal: OperatorRequests.Refusal) throws -> Never {
        switch refusal {
        case .store(let error): try fail([Diagnostic(file: state.path(repo: repo), message: "\(error)")], output: .text)
        case .unknownStage:
            FileHandle.standardError.write(Data("error: \(refusal)\n".utf8))
            throw ExitCode(2)
        default:
            FileHandle.standardError.write(Data("error: \(refusal)\n".utf8))
            throw ExitCode(1)
        }
    }

    /// Whether a controller holds the environment now: its lock is taken (and given back at
    /// once) only when none does.
    func warnWithoutController(_ store: OpenedStore) async {
        do {
            let lock = try await store.store.lockEnvironment(environment, holder: "sluice (probe)")
            await lock.release()
            FileHandle.standardError.write(Data("warning: no controller holds \(environment) now (no sluice run on \(store.name)): the command waits in the store until one starts\n".utf8))
        } catch {
            if case .environmentLocked(let holder) = error.kind { print("held by \(holder)") }
        }
    }
}

struct Pause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause an environment's rollout at the next batch boundary.", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() async throws { try await action.queue(.pause) }
}

struct Resume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a paused rollout, or a halted one (its failed clusters are tried again).", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() async throws { try await action.queue(.resume) }
}

struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Approve the stage an environment's rollout waits at (that commit only), or with --commit a stage ahead.",
        discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    @Option(help: ArgumentHelp("Approve only the rollout of this commit (a prefix of its id); needed to approve a stage ahead.", valueName: "sha"))
    var commit: String?
    @Option(help: ArgumentHelp("With --commit: the stage to approve ahead (default: the next one that asks).", valueName: "name"))
    var stage: String?

    func validate() throws {
        if stage != nil && commit == nil { throw ValidationError("--stage needs --commit: an approval ahead names the commit it is for") }
        if let commit, commit.count < 7 || !commit.allSatisfy(\.isHexDigit) { throw ValidationError("--commit \(commit) is not a commit id (7 or more hex digits)") }
    }

    func run() async throws {
        if try await action.remotely("approve", commit: commit, stage: stage) { return }
        let store = try await action.checkedStore()
        let requests = OperatorRequests(store: store.store)
        let approval: OperatorRequests.Approval
        do { approval = try await requests.checkApproval(environment: action.environment, commit: commit, stage: stage) } catch {
            try action.refused(error)
        }
        print("approving \(approval.stage.map { "stage \($0)" } ?? "the next stage that asks") of commit \(approval.commit.prefix(12)) in \(action.environment)")
        do {
            _ = try await requests.approve(environment: action.environment, commit: approval.commit, stage: approval.stage, user: operatorName(),
                                           reason: action.reason, at: Date())
        } catch {
            try action.refused(error)
        }
        await action.queued(.approve, store)
    }
}

struct Freeze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Freeze an environment: no batch starts until unfreeze (running ones finish).", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() async throws { try await action.setFreeze(true) }
}

struct Unfreeze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lift an operator's freeze of an environment.", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() async throws { try await action.setFreeze(false) }
}

extension OperatorAction {
    /// `freeze` and `unfreeze` take effect at once, with a history event naming who and why.
    func setFreeze(_ frozen: Bool) async throws {
        if try await remotely(frozen ? "freeze" : "unfreeze") { return }
        let store = try await checkedStore()
        do { try await OperatorRequests(store: store.store).setFreeze(frozen, environment: environment, user: operatorName(), reason: reason, at: Date()) } catch {
            try refused(error)
        }
        print("\(environment) \(frozen ? "frozen" : "unfrozen")")
    }
}
