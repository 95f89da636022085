import ArgumentParser
import Foundation
import SluiceGit
import SluiceModel
import SluiceYAML
import SluiceRollout
import SluiceStore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show each environment's head, applied commit, rollout, forecast and add-on versions.",
        discussion: "Exit codes: 0 shown, 1 the repo or the state store cannot be read, 2 usage.")

    @Option(name: .long, help: "The fleet repo.") var repo: String = "."
    @OptionGroup var state: StateOptions
    @Option(help: "Only this environment.") var env: String?
    @Option(name: [.short, .long], help: "text or json") var output: OutputFormat = .text

    func run() throws {
        try checkSelection(headRepository(repo), env: env, cluster: nil)
        let store = try state.openExisting(repo: repo, output: output)
        let report: StatusReport
        do { report = try StatusReport.make(store: store, repository: repo, environment: env, now: Date()) } catch {
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

struct History: ParsableCommand {
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

    func run() throws {
        let store = try state.openExisting(repo: repo, output: output)
        let filter = HistoryFilter(environment: env, cluster: cluster, addon: addon, since: since.flatMap { Self.time($0, now: Date()) }, limit: limit)
        let events: [HistoryEvent]
        do { events = try store.history(filter).reversed() } catch {
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

    static let exitCodes = "Queued for the controller, which acts on it at its next step. Exit codes: 0 queued, 1 the state store cannot be written, 2 usage or an unknown environment."

    func checkedStore() throws -> SQLiteStateStore {
        try checkSelection(headRepository(repo), env: environment, cluster: nil)
        return try state.open(repo: repo, output: .text)
    }

    func queue(_ verb: OperatorCommand.Verb) throws {
        let store = try checkedStore()
        do {
            try store.enqueue(OperatorCommand(environment: environment, verb: verb, user: operatorName(), reason: reason, at: Date()))
        } catch {
            try fail([Diagnostic(file: state.path(repo: repo), message: "\(error)")], output: .text)
        }
        print("\(verb.rawValue) queued for \(environment): the controller acts on it at the next batch boundary")
    }
}

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pause an environment's rollout at the next batch boundary.", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() throws { try action.queue(.pause) }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resume a paused rollout, or a halted one (its failed clusters are tried again).", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() throws { try action.queue(.resume) }
}

struct Approve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve the stage an environment's rollout waits at.", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() throws { try action.queue(.approve) }
}

struct Freeze: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Freeze an environment: no batch starts until unfreeze (running ones finish).", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() throws { try action.setFreeze(true) }
}

struct Unfreeze: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Lift an operator's freeze of an environment.", discussion: OperatorAction.exitCodes)
    @OptionGroup var action: OperatorAction
    func run() throws { try action.setFreeze(false) }
}

extension OperatorAction {
    /// `freeze` and `unfreeze` take effect at once, with a history event naming who and why.
    func setFreeze(_ frozen: Bool) throws {
        let store = try checkedStore()
        let user = operatorName(), now = Date()
        let why = reason.isEmpty ? "" : ": \(reason)"
        let event = HistoryEvent(at: now, kind: .operatorAction, environment: environment,
                                 detail: "\(frozen ? "frozen" : "unfrozen") by \(user)\(why)", outcome: .operatorCommand)
        let record = frozen ? FreezeRecord(environment: environment, user: user, reason: reason, at: now) : nil
        do { try store.setFreeze(environment: environment, to: record, event: event) } catch {
            try fail([Diagnostic(file: state.path(repo: repo), message: "\(error)")], output: .text)
        }
        print("\(environment) \(frozen ? "frozen" : "unfrozen")")
    }
}
