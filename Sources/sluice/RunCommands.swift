import ArgumentParser
import Dispatch
import Foundation
import Logging
import SluiceCore
import SluiceDrivers
import SluiceGit
import SluiceModel
import SluiceYAML
import SluiceQueries
import SluiceRollout
import SluiceStore
import CoreMetrics
import ServiceLifecycle
import SluiceServer
import Synchronization
import UnixSignals

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the controller: follow every environment's branch and roll each new head commit through its pipeline.",
        discussion: """
            Stops cleanly on SIGINT or SIGTERM: what is in flight finishes, the state is saved, exit 0. A second \
            signal, or a stop longer than --stop-timeout, abandons what is in flight (a restart asks for it again).
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
    @Option(help: "With --time-scale: the real time (RFC 3339) at which the scaled clock read --clock-start (default: now), so that replicas started apart read one time.")
    var clockOrigin: String?
    @Option(help: "text or json") var logFormat: ConsoleLogHandler.Format = .text
    @Option(help: "How long a stop may take to finish what is in flight before it is abandoned (a second signal abandons at once).")
    var stopTimeout = "10m"
    @Option(name: .customLong("allow-command"), help: "A program outside the fleet repo that command checks may run (absolute path; repeatable).")
    var allowedCommands: [String] = []
    @OptionGroup var server: ServerOptions
    @Option(help: "With a PostgreSQL store: how long an environment's lease lasts unrenewed (another replica takes over after it).")
    var leaseDuration = "15s"
    @Option(help: "With a PostgreSQL store: this replica's name among those sharing it (default: host name and process id).")
    var replicaName: String?
    @Option(help: ArgumentHelp("Where events go: a YAML file of Slack or signed-webhook targets on this machine (see README).", valueName: "file"))
    var notifications: String?

    func validate() throws {
        guard let interval = GoDuration.parse(interval), interval > .zero else { throw ValidationError("--interval \(interval) is not a positive duration such as 10s") }
        guard let poll = GoDuration.parse(poll), poll > .zero else { throw ValidationError("--poll \(poll) is not a positive duration such as 5s") }
        guard let stop = GoDuration.parse(stopTimeout), stop > .zero else { throw ValidationError("--stop-timeout \(stopTimeout) is not a positive duration such as 10m") }
        _ = stop
        guard let lease = GoDuration.parse(leaseDuration), GoDuration.seconds(lease) >= 1 else {
            throw ValidationError("--lease-duration \(leaseDuration) is not a duration of at least 1s such as 15s")
        }
        guard GoDuration.parse(resync) != nil else { throw ValidationError("--resync \(resync) is not a duration such as 10m (0 turns it off)") }
        if let timeScale, !(timeScale > 0 && timeScale.isFinite) { throw ValidationError("--time-scale must be a positive number") }
        if virtualTime && timeScale != nil { throw ValidationError("--virtual-time and --time-scale exclude each other") }
        if clockStart != nil && !virtualTime && timeScale == nil { throw ValidationError("--clock-start needs --virtual-time or --time-scale") }
        if let clockOrigin {
            guard timeScale != nil else { throw ValidationError("--clock-origin needs --time-scale") }
            guard Self.time(clockOrigin) != nil else { throw ValidationError("--clock-origin \(clockOrigin) is not an RFC 3339 time") }
        }
        if let clockStart, ISO8601DateFormatter().date(from: clockStart) == nil { throw ValidationError("--clock-start \(clockStart) is not an RFC 3339 time such as 2027-01-18T09:00:00Z") }
        for program in allowedCommands where !program.hasPrefix("/") { throw ValidationError("--allow-command \(program) must be an absolute path") }
        try server.validate()
        _ = (interval, poll)
    }

    /// An RFC 3339 time, with or without fractions of a second.
    static func time(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        return formatter.date(from: text)
    }

    func run() async throws {
        let format = logFormat
        LoggingSystem.bootstrap { _ in ConsoleLogHandler(format: format) }
        let logger = Logger(label: "sluice")
        // Machine files are read before the store is opened: a mistake in one stops sluice
        // before it has created or changed anything.
        let serverSettings = try server.settings()
        let targets = try notifications.map(NotificationOptions.targets)
        let leaseSeconds = GoDuration.parse(leaseDuration).map(GoDuration.seconds) ?? 15
        let opened = try await state.open(repo: repo, output: .text, leaseSeconds: leaseSeconds)
        let store = opened.store
        var start = clockStart.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date()
        if virtualTime, let latest = await latestRecordedTime(store), latest > start {
            // Virtual time resumes where the store left it: it never runs backwards across restarts.
            start = latest
        }
        let clock: any FleetClock = virtualTime ? VirtualClock(start: start)
            : timeScale.map { ScaledClock(start: start, scale: $0, since: clockOrigin.flatMap(Self.time)) } ?? SystemClock()
        // Metrics are kept only when served: the process's swift-metrics backend is the
        // registry `/metrics` shows.
        let metrics = serverSettings.map { _ in ServerMetrics.make(version: sluiceVersion) }
        if let metrics { MetricsSystem.bootstrap(metrics.factory) }
        var options = EnvironmentRunner.Options()
        options.metrics = ControllerMetrics()
        options.intervalSeconds = GoDuration.parse(interval).map(GoDuration.seconds) ?? 10
        options.pollSeconds = GoDuration.parse(poll).map(GoDuration.seconds) ?? 5
        options.untilIdle = untilIdle
        let resyncSeconds = GoDuration.parse(resync).map(GoDuration.seconds) ?? 0
        options.resyncSeconds = resyncSeconds > 0 ? resyncSeconds : nil
        options.machineAllowedCommands = allowedCommands
        // The read models of the repo's local copy (a URL's mirror): the API's, and HEAD's
        // notification routes.
        let models = CommitModels(location: FleetSource.localPath(repo, cacheDirectory: Controller.defaultCacheDirectory))
        var notifier: Notifier?
        if let targets {
            notifier = Notifier(targets: targets, routes: { await models.notificationRoutes() }, history: store, clock: clock,
                                send: NotificationOptions.send, logger: logger)
            options.notify = { [notifier] events in notifier?.post(events) }
        }
        let connector = clusters.connector(store: opened, clock: clock)
        var controller = Controller(location: repo, store: store, connector: connector, clock: clock,
                                    options: options, credentials: .fromEnvironment(ProcessInfo.processInfo.environment),
                                    logger: logger)
        if let registry = store as? any ReplicaRegistry {
            let name = replicaName ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
            controller.replication = Controller.Replication(replica: name, registry: registry, leaseSeconds: leaseSeconds)
            logger.info("replica \(name): leads its share of the environments of \(opened.name), follows the rest")
        }
        do { _ = try controller.environments() } catch {
            try fail([Diagnostic(message: "\(error)")], output: .text)
        }
        // The controller and the live view are services of one group: SIGTERM or SIGINT is a
        // graceful shutdown; a second signal, or a shutdown longer than --stop-timeout, cancels.
        // Programs sluice started (checks, credential plugins) stop with it, children and all;
        // a check stopped so is not an answer (it runs again after a restart).
        let service = ControllerService(controller, onGracefulShutdown: { ChildProcess.stopAll() })
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: service, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let notifier {
            services.append(.init(service: notifier, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
        }
        if let settings = serverSettings {
            let handler = APIHandler(store: store, models: models,
                                     nudges: controller.nudges, pulse: options.pulse, clock: clock, settings: settings, logger: logger,
                                     registry: metrics?.registry, drivers: connector)
            services.append(.init(service: HTTPServer(handler: handler, settings: settings, logger: logger, onListening: { port in
                // Scripts and tests that asked for port 0 read the port here.
                FileHandle.standardError.write(Data("listening on \(settings.host):\(port)\n".utf8))
            }), successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup))
        }
        if Console.shared.isTerminal {
            services.append(.init(service: LiveView(store: store, repo: repo, clock: clock), successTerminationBehavior: .ignore))
        }
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(GoDuration.parse(stopTimeout).map(GoDuration.seconds) ?? 600)
        let group = ServiceGroup(configuration: configuration)
        let work = Task { try await group.run() }
        let signals = Task { await SignalCount.cancelOnSecond(work) }
        do { try await work.value } catch {
            logger.error("services: \(error)")
        }
        signals.cancel()
        let outcomes: [String: EnvironmentRunner.Outcome]
        switch service.outcome {
        case .success(let finished)?: outcomes = finished
        case .failure(let error as StoreError)?:
            // No file of the repo is at fault: the store, or another sluice holding an environment.
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            if case .environmentLocked = error.kind { throw ExitCode(4) }
            throw ExitCode(1)
        case .failure(let error)?:
            try fail([Diagnostic(message: "\(error)")], output: .text)
        case nil:
            FileHandle.standardError.write(Data("error: the controller did not finish\n".utf8))
            throw ExitCode(1)
        }
        if await SignalCount.shared.value > 0 { logger.info("stopped: state saved") }
        guard untilIdle else { return }
        let code = Controller.exitCode(outcomes)
        for (name, outcome) in outcomes.sorted(by: { $0.key < $1.key }) { logger.info("\(name): \(outcome)") }
        if code != 0 { throw ExitCode(code) }
    }
}

extension ConsoleLogHandler.Format: ExpressibleByArgument {}

/// Counts SIGINT and SIGTERM (the service group shuts down gracefully on the first): the
/// second cancels the group, which abandons what is in flight.
actor SignalCount {
    static let shared = SignalCount()
    private(set) var value = 0

    private func increment() -> Int {
        value += 1
        return value
    }

    static func cancelOnSecond(_ work: Task<Void, any Error>) async {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        for await _ in signals {
            if await shared.increment() > 1 {
                work.cancel()
                return
            }
        }
    }
}

/// The live view of `sluice run` on a terminal: a line per environment, read from the store
/// once a second (real time), until the group shuts down.
struct LiveView: Service {
    let store: any StateStore
    let repo: String
    let clock: any FleetClock

    func run() async {
        await cancelWhenGracefulShutdown { await show() }
    }

    private func show() async {
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
