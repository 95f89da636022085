import ArgumentParser
import Foundation
import SluiceGit
import SluiceModel
import SluiceYAML
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
        let store = try state.openExisting(repo: repo, output: output)
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
        if let since, Self.time(since, now: Date()) == nil { throw ValidationError("--since \(since) is neither an RFC 3339 time nor a duration such as 1h") }
        if limit < 1 { throw ValidationError("--limit must be at least 1") }
    }

    static func time(_ text: String, now: Date) -> Date? {
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        return GoDuration.parse(text).map { now.addingTimeInterval(-GoDuration.seconds($0)) }
    }

    func run() async throws {
        let store = try state.openExisting(repo: repo, output: output)
        let filter = HistoryFilter(environment: env, cluster: cluster, addon: addon, since: since.flatMap { Self.time($0, now: Date()) }, limit: limit)
        let events: [HistoryEvent]
        do { events = try await store.history(filter).reversed() } catch {
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

    static let exitCodes = """
        Queued for the controller, which acts on it at its next step; a warning says so when no controller holds the \
        environment now. Exit codes: 0 queued, 1 no state store at the path (one is never created here) or it cannot be \
        written, or (approve) the commit named is not the one that waits, 2 usage, no fleet repo, or an environment it does not define.
        """

    /// The store a controller uses for the environment: the repo must define the environment,
    /// and the store must exist (a store made here would be one no controller reads).
    func checkedStore() throws -> SQLiteStateStore {
        guard let repository = headRepository(repo) else {
            FileHandle.standardError.write(Data("error: no fleet repo at \(repo) (sluice.yaml at a readable HEAD); pass --repo\n".utf8))
            throw ExitCode(2)
        }
        try checkSelection(repository, env: environment, cluster: nil)
        return try state.openExisting(repo: repo, output: .text)
    }

    func queue(_ verb: OperatorCommand.Verb, commit: String? = nil, stage: String? = nil, store opened: SQLiteStateStore? = nil) async throws {
        let store = try opened ?? checkedStore()
        do {
            try await store.enqueue(OperatorCommand(environment: environment, verb: verb, user: operatorName(), reason: reason, at: Date(),
                                              commit: commit, stage: stage))
        } catch {
            try fail([Diagnostic(file: state.path(repo: repo), message: "\(error)")], output: .text)
        }
        print("\(verb.rawValue) queued for \(environment): the controller acts on it at the next batch boundary")
        warnWithoutController(store)
    }

    /// Whether a controller holds the environment now: its lock is taken (and given back at
    /// once) only when none does.
    func warnWithoutController(_ store: SQLiteStateStore) {
        do {
            let lock = try store.lockEnvironment(environment, holder: "sluice (probe)")
            withExtendedLifetime(lock) {}
            FileHandle.standardError.write(Data("warning: no controller holds \(environment) now (no sluice run on \(store.path)): the command waits in the store until one starts\n".utf8))
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
        let store = try action.checkedStore()
        let environment = action.environment
        let rollout: RolloutState?
        do { rollout = try await store.rollout(environment: environment).map { try RolloutState.decode($0) } } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        guard let rollout, !rollout.phase.isFinal else {
            FileHandle.standardError.write(Data("error: no rollout of \(environment) is under way: nothing to approve\n".utf8))
            throw ExitCode(1)
        }
        if let commit, !rollout.commit.hasPrefix(commit.lowercased()) {
            let waits = rollout.phase == .awaitingApproval ? "waits for an approval" : "is under way"
            FileHandle.standardError.write(Data("error: the rollout of \(rollout.commit.prefix(12)) \(waits) in \(environment), not one of \(commit): not approved\n".utf8))
            throw ExitCode(1)
        }
        let waiting = rollout.phase == .awaitingApproval ? rollout.currentStage?.name : nil
        if commit == nil, waiting == nil {
            FileHandle.standardError.write(Data("error: no stage of \(environment) waits for an approval now; to approve a stage ahead, name the rollout's commit (--commit \(rollout.commit.prefix(12)))\n".utf8))
            throw ExitCode(1)
        }
        if let stage, !rollout.blueprint.stages.contains(where: { $0.name == stage }) {
            FileHandle.standardError.write(Data("error: the pipeline of \(environment) has no stage \(stage)\n".utf8))
            throw ExitCode(2)
        }
        let target = stage ?? waiting
        print("approving \(target.map { "stage \($0)" } ?? "the next stage that asks") of commit \(rollout.commit.prefix(12)) in \(environment)")
        try await action.queue(.approve, commit: rollout.commit, stage: target, store: store)
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
        let store = try checkedStore()
        let user = operatorName(), now = Date()
        let why = reason.isEmpty ? "" : ": \(reason)"
        let event = HistoryEvent(at: now, kind: .operatorAction, environment: environment,
                                 detail: "\(frozen ? "frozen" : "unfrozen") by \(user)\(why)", outcome: .operatorCommand)
        let record = frozen ? FreezeRecord(environment: environment, user: user, reason: reason, at: now) : nil
        do { try await store.setFreeze(environment: environment, to: record, event: event) } catch {
            try fail([Diagnostic(file: state.path(repo: repo), message: "\(error)")], output: .text)
        }
        print("\(environment) \(frozen ? "frozen" : "unfrozen")")
    }
}
