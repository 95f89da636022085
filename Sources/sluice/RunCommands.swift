import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceYAML
import SluiceRollout
import SluiceStore
import Synchronization

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the controller: follow every environment's branch and roll each new head commit through its pipeline.",
        discussion: """
            Stops cleanly on SIGINT or SIGTERM: what is in flight finishes, the state is saved, exit 0.
            Exit codes: 1 invalid input or an unusable state store, 2 usage, 4 another sluice is changing one \
            of the environments; with --until-idle also 0 every environment converged, 3 one halted or rejected \
            its head (or its branch is missing), 5 one waits for an approval or is paused.
            """)

    @Option(name: .long, help: "The fleet repo: a path or a URL to clone and fetch.")
    var repo: String = "."
    @OptionGroup var state: StateOptions
    @OptionGroup var clusters: ClusterOptions
    @Option(help: "How often the branches are fetched and operator commands read.") var interval = "10s"
    @Option(help: "How often a rolling workload's status is read.") var poll = "5s"
    @Option(help: "How often live objects are compared with their recorded commit when no rollout runs (0: never).") var resync = "10m"
    @Flag(help: "Return once no environment can move without an operator or a new commit.") var untilIdle = false
    @Flag(help: "Every wait advances a virtual clock instead of taking time.") var virtualTime = false
    @Option(help: "Run the clock this many times faster than real time (a demo of a long pipeline).") var timeScale: Double?
    @Option(help: "Start the virtual or scaled clock at this time (RFC 3339).") var clockStart: String?
    @Option(help: "text or json") var logFormat: ConsoleLogHandler.Format = .text
    @Option(name: .customLong("allow-command"), help: "A program outside the fleet repo that command checks may run (absolute path; repeatable).")
    var allowedCommands: [String] = []

    func validate() throws {
        guard let interval = GoDuration.parse(interval), interval > .zero else { throw ValidationError("--interval \(interval) is not a positive duration such as 10s") }
        guard let poll = GoDuration.parse(poll), poll > .zero else { throw ValidationError("--poll \(poll) is not a positive duration such as 5s") }
        guard GoDuration.parse(resync) != nil else { throw ValidationError("--resync \(resync) is not a duration such as 10m (0 turns it off)") }
        if let timeScale, !(timeScale > 0 && timeScale.isFinite) { throw ValidationError("--time-scale must be a positive number") }
        if virtualTime && timeScale != nil { throw ValidationError("--virtual-time and --time-scale exclude each other") }
        if clockStart != nil && !virtualTime && timeScale == nil { throw ValidationError("--clock-start needs --virtual-time or --time-scale") }
        if let clockStart, ISO8601DateFormatter().date(from: clockStart) == nil { throw ValidationError("--clock-start \(clockStart) is not an RFC 3339 time such as 2027-01-18T09:00:00Z") }
        for program in allowedCommands where !program.hasPrefix("/") { throw ValidationError("--allow-command \(program) must be an absolute path") }
        _ = (interval, poll)
    }

    func run() async throws {
        let format = logFormat
        LoggingSystem.bootstrap { _ in ConsoleLogHandler(format: format) }
        let logger = Logger(label: "sluice")
        let store = try state.open(repo: repo, output: .text)
        var start = clockStart.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date()
        if virtualTime, let latest = await latestRecordedTime(store), latest > start {
            // Virtual time resumes where the store left it: it never runs backwards across restarts.
            start = latest
        }
        let clock: any FleetClock = virtualTime ? VirtualClock(start: start)
            : timeScale.map { ScaledClock(start: start, scale: $0) } ?? SystemClock()
        var options = EnvironmentRunner.Options()
        options.intervalSeconds = GoDuration.parse(interval).map(GoDuration.seconds) ?? 10
        options.pollSeconds = GoDuration.parse(poll).map(GoDuration.seconds) ?? 5
        options.untilIdle = untilIdle
        let resyncSeconds = GoDuration.parse(resync).map(GoDuration.seconds) ?? 0
        options.resyncSeconds = resyncSeconds > 0 ? resyncSeconds : nil
        options.machineAllowedCommands = allowedCommands
        let controller = Controller(location: repo, store: store, connector: clusters.connector(store: store, clock: clock), clock: clock,
                                    options: options, credentials: .fromEnvironment(ProcessInfo.processInfo.environment),
                                    logger: logger)
        do { _ = try controller.environments() } catch {
            try fail([Diagnostic(message: "\(error)")], output: .text)
        }
        let work = Task { try await controller.run() }
        let signals = SignalStop {
            // Programs sluice started (checks, credential plugins) stop with it, children and all.
            ChildProcess.stopAll()
            work.cancel()
        }
        let view = Console.shared.isTerminal ? Task { await LiveView(store: store, repo: repo, clock: clock).run() } : nil
        let outcomes: [String: EnvironmentRunner.Outcome]
        do { outcomes = try await work.value } catch let error as StoreError {
            view?.cancel()
            // No file of the repo is at fault: the store, or another sluice holding an environment.
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            if case .environmentLocked = error.kind { throw ExitCode(4) }
            throw ExitCode(1)
        } catch {
            view?.cancel()
            try fail([Diagnostic(message: "\(error)")], output: .text)
        }
        view?.cancel()
        withExtendedLifetime(signals) {}
        if signals.fired { logger.info("stopped: state saved") }
        guard untilIdle else { return }
        let code = Controller.exitCode(outcomes)
        for (name, outcome) in outcomes.sorted(by: { $0.key < $1.key }) { logger.info("\(name): \(outcome)") }
        if code != 0 { throw ExitCode(code) }
    }
}

extension ConsoleLogHandler.Format: ExpressibleByArgument {}

/// SIGINT and SIGTERM stop the controller at its next safe point; a second one exits at once.
final class SignalStop: Sendable {
    /// Kept alive with the object; only touched in init.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]
    private let count = SignalCount()

    var fired: Bool { count.value > 0 }

    init(_ stop: @escaping @Sendable () -> Void) {
        var sources: [any DispatchSourceSignal] = []
        let count = self.count
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let seen = count.increment()
                if seen > 1 { exit(130) }
                stop()
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }
}

final class SignalCount: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }
}

/// The live view of `sluice run` on a terminal: a line per environment, read from the store
/// once a second (real time).
struct LiveView {
    let store: any StateStore
    let repo: String
    let clock: any FleetClock

    func run() async {
        while !Task.isCancelled {
            let now = await clock.now()
            do {
                let report = try await StatusReport.make(store: store, repository: repo, environment: nil, now: now)
                Console.shared.show(StatusText.liveLines(report, now: now))
            } catch {
                // Never the last good view: what cannot be read now is said.
                Console.shared.show(["── \(ISO8601DateFormatter().string(from: now)) status cannot be read: \(error)"])
            }
            try? await Task.sleep(nanoseconds: 1_000_000_000)
        }
        Console.shared.show([])
    }
}

/// The time of the newest event in the store's history.
func latestRecordedTime(_ store: any StateStore) async -> Date? {
    await (try? store.history(HistoryFilter(limit: 1)))?.first?.at
}

/// The OS user who gives an operator command.
func operatorName() -> String {
    if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
    return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
}
