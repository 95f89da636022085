import Foundation
import SluiceModel

/// The time a driver and the rollout run on. Every wait in Sluice (poll interval, bake, pod
/// progress, check timeout, retry backoff) is a `sleep(until:)` on one of these, so the same
/// code runs on the wall clock, on a scaled clock (`--time-scale`) and on virtual time.
public protocol FleetClock: Sendable {
    func now() async -> Date
    /// Returns at `deadline` (at once when it has passed); throws when the task is cancelled.
    func sleep(until deadline: Date) async throws
    /// One more participant: a virtual clock moves time only when every participant waits
    /// on it. Enter before starting the task that will participate (so that time cannot
    /// move before it runs), and leave when it ends. Other clocks ignore both.
    func enter() async
    func leave() async
}

extension FleetClock {
    public func sleep(seconds: Double) async throws {
        try await sleep(until: await now().addingTimeInterval(max(0, seconds)))
    }

    /// Runs `body` as one of the clock's participants.
    public func participate<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await enter()
        do {
            let result = try await body()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }
}

public struct SystemClock: FleetClock {
    public init() {}

    // Real time passes whoever waits.
    public func enter() async {}
    public func leave() async {}

    public func now() async -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSinceNow
        guard seconds > 0 else { return try Task.checkCancellation() }
        try await Task.sleep(nanoseconds: UInt64(min(seconds, 1e9) * 1_000_000_000))
    }
}

/// Real time sped up `scale` times from `start`: a 1 h bake at scale 3600 takes a second.
public struct ScaledClock: FleetClock {
    public let start: Date
    public let scale: Double
    private let origin = ContinuousClock.now

    public init(start: Date = Date(), scale: Double) {
        self.start = start
        self.scale = max(scale, 1e-6)
    }

    public func enter() async {}
    public func leave() async {}

    public func now() async -> Date {
        start.addingTimeInterval(GoDuration.seconds(ContinuousClock.now - origin) * scale)
    }

    public func sleep(until deadline: Date) async throws {
        let seconds = deadline.timeIntervalSince(await now()) / scale
        guard seconds > 0 else { return try Task.checkCancellation() }
        try await Task.sleep(nanoseconds: UInt64(min(seconds, 1e9) * 1_000_000_000))
    }
}

/// Virtual time for tests and `--virtual-time`: time stands still while any participant
/// works, and once every participant waits, it jumps to the earliest deadline and wakes the
/// sleepers due then. So the order of events depends only on the deadlines, however many
/// tasks run at once: a bake of an hour and pods that start in ten seconds interleave
/// exactly as they would on the wall clock, in milliseconds.
///
/// A sleeper outside any participant (no one has joined) moves time to its deadline at
/// once, which is what a single sequential caller such as `sluice apply` needs.
public actor VirtualClock: FleetClock {
    private var current: Date
    private var participants = 0
    private var sleepers: [UInt64: (deadline: Date, continuation: CheckedContinuation<Void, any Error>)] = [:]
    private var nextSleeper: UInt64 = 0

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = start
    }

    public func now() -> Date { current }

    public func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        guard deadline > current else { return }
        guard participants > 0 else {
            current = deadline
            return
        }
        let id = nextSleeper
        nextSleeper += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                sleepers[id] = (deadline, continuation)
                advanceIfIdle()
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Moves time forward by hand (tests), waking whoever is due.
    public func advance(by seconds: Double) {
        guard seconds > 0 else { return }
        current = current.addingTimeInterval(seconds)
        wakeDue()
    }

    public func enter() { participants += 1 }

    public func leave() {
        participants -= 1
        advanceIfIdle()
    }

    private func cancel(_ id: UInt64) {
        sleepers.removeValue(forKey: id)?.continuation.resume(throwing: CancellationError())
        advanceIfIdle()
    }

    /// Every participant waits: jump to the earliest deadline.
    private func advanceIfIdle() {
        guard !sleepers.isEmpty, sleepers.count >= participants,
              let earliest = sleepers.values.map(\.deadline).min() else { return }
        if earliest > current { current = earliest }
        wakeDue()
    }

    private func wakeDue() {
        // Woken in deadline order, so that equal runs resume alike.
        for (id, sleeper) in sleepers.sorted(by: { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) })
        where sleeper.deadline <= current {
            sleepers.removeValue(forKey: id)
            sleeper.continuation.resume()
        }
    }
}
