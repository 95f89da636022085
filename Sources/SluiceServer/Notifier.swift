import CoreMetrics
import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceModel
import SluiceStore
import Synchronization

/// Sends the controller's notable events to the machine's notification targets, beside the
/// rollout and never in its way: `post` only queues (a full queue drops the newest, counted);
/// each delivery is retried with backoff; its result goes to the history and the metrics.
/// Which targets get an event: those whose own filters (the machine's file) want it and, when
/// HEAD's sluice.yaml has `spec.notifications`, that a route of it names for the event.
/// A service of the controller's group: it stops with it, and what is still queued then is
/// logged as not sent.
public final class Notifier: Service, Sendable {
    /// Sends one delivery; the HTTP status, or why nothing came back.
    public typealias Send = @Sendable (Notice.Delivery) async -> Result<Int, NotifierError>
    /// HEAD's routes (`CommitModels.notificationRoutes`).
    public typealias Routes = @Sendable () async -> (routes: [NotificationRoute]?, lastRead: Bool)

    public struct NotifierError: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    let targets: NotificationTargets
    let routes: Routes?
    let history: (any History)?
    let send: Send
    let sleep: @Sendable (Duration) async throws -> Void
    let clock: any FleetClock
    let metricsFactory: any MetricsFactory
    let logger: Logger
    let attempts: Int
    private let queue: AsyncStream<HistoryEvent>
    private let input: AsyncStream<HistoryEvent>.Continuation
    /// Deliveries queued or under way, and who waits for there to be none (`drain`).
    private let outstanding = Mutex<(count: Int, waiting: [CheckedContinuation<Void, Never>])>((0, []))

    public init(targets: NotificationTargets, routes: Routes? = nil, history: (any History)?, clock: any FleetClock, send: @escaping Send,
                sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
                attempts: Int = 5, capacity: Int = 1_000, metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger) {
        self.targets = targets
        self.routes = routes
        self.history = history
        self.clock = clock
        self.send = send
        self.sleep = sleep
        self.attempts = max(1, attempts)
        self.metricsFactory = metricsFactory
        self.logger = logger
        (queue, input) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(capacity))
    }

    /// Queues the notable ones of `events`; returns at once.
    public func post(_ events: [HistoryEvent]) {
        for event in events {
            guard let outcome = event.outcome, Notice.events.contains(outcome) else { continue }
            outstanding.withLock { $0.count += 1 }
            if case .dropped = input.yield(event) {
                finished()
                for target in targets.targets where target.wants(event) { count(target, "dropped") }
                logger.warning("notification of \(outcome.rawValue) dropped: the queue is full")
            }
        }
    }

    /// Returns once nothing is queued or under way (tests; a stop that wants the last ones out).
    public func drain() async {
        await withCheckedContinuation { continuation in
            let done = outstanding.withLock { state -> Bool in
                guard state.count > 0 else { return true }
                state.waiting.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    public func run() async {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await event in self.queue {
                    for target in await self.targets(for: event) {
                        // A few at a time: one slow target does not hold the others up.
                        if running >= 4 {
                            await group.next()
                            running -= 1
                        }
                        running += 1
                        self.outstanding.withLock { $0.count += 1 }
                        group.addTask { await self.deliver(event, to: target) }
                    }
                    self.finished()
                }
            }
        }
        let left = outstanding.withLock { $0.count }
        if left > 0 { logger.warning("\(left) notification(s) not sent: sluice stopped") }
    }

    /// The machine's targets that want `event`, narrowed to those HEAD's routes name for it.
    /// A route naming a target the machine does not define is recorded as a failed
    /// notification: what the repo asked for is not silently dropped.
    func targets(for event: HistoryEvent) async -> [NotificationTargets.Target] {
        let wanted = targets.targets.filter { $0.wants(event) }
        guard let routes, let outcome = event.outcome?.rawValue else { return wanted }
        let read = await routes()
        guard let routes = read.routes else {
            if !read.lastRead { logger.warning("sluice.yaml at HEAD cannot be read: the notifications file alone decides where \(outcome) goes") }
            return wanted
        }
        var named: [String] = []
        for route in routes where route.wants(event: outcome, environment: event.environment) && !named.contains(route.target.value) {
            named.append(route.target.value)
        }
        for name in named where !targets.targets.contains(where: { $0.name == name }) {
            let detail = "sluice.yaml sends \(outcome) to \(name.prefix(100)), which this machine's notifications file does not define"
            let recorded = HistoryEvent(at: await clock.now(), kind: .notification, environment: event.environment, cluster: event.cluster,
                                        addon: event.addon, commit: event.commit, detail: detail, outcome: .notificationFailed)
            logger.warning("\(detail)")
            do { try await history?.append(recorded) } catch { logger.warning("notification result not recorded: \(error)") }
        }
        return wanted.filter { named.contains($0.name) }
    }

    /// Tries `attempts` times, 1 s, 2 s, 4 s ... apart (at most a minute), then gives up.
    func deliver(_ event: HistoryEvent, to target: NotificationTargets.Target) async {
        let delivery = Notice.delivery(event, to: target)
        var why = ""
        for attempt in 0..<attempts {
            if attempt > 0 {
                do { try await sleep(.seconds(min(60, 1 << (attempt - 1)))) } catch { break }
            }
            switch await send(delivery) {
            case .success(let status) where (200..<300).contains(status):
                await record(event, target, sent: true, detail: "\(target.name) notified of \(Notice.title(event.outcome ?? .rolloutStarted))")
                return
            case .success(let status):
                why = "HTTP \(status)"
            case .failure(let error):
                why = error.description
            }
        }
        // The target's URL is never written: it can be a credential (Slack's is).
        await record(event, target, sent: false, detail: "notifying \(target.name) of \(Notice.title(event.outcome ?? .rolloutStarted)) failed after \(attempts) tries: \(why)")
    }

    private func record(_ event: HistoryEvent, _ target: NotificationTargets.Target, sent: Bool, detail: String) async {
        count(target, sent ? "sent" : "failed")
        if !sent { logger.warning("\(detail)") }
        let recorded = HistoryEvent(at: await clock.now(), kind: .notification, environment: event.environment, cluster: event.cluster,
                                    addon: event.addon, commit: event.commit, detail: detail, outcome: sent ? .notificationSent : .notificationFailed)
        do { try await history?.append(recorded) } catch { logger.warning("notification result not recorded: \(error)") }
        finished()
    }

    private func count(_ target: NotificationTargets.Target, _ result: String) {
        Counter(label: "sluice_notifications_total", dimensions: [("target", target.name), ("result", result)], factory: metricsFactory).increment()
    }

    private func finished() {
        let waiting = outstanding.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.count -= 1
            guard state.count == 0 else { return [] }
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
