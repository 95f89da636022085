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
    private let origin: ContinuousClock.Instant

    /// `since`: the real time at which the clock read `start` (default: now). Processes given
    /// the same `start` and `since` (replicas of a demo) read the same time.
    public init(start: Date = Date(), scale: Double, since: Date? = nil) {
        self.start = start
        self.scale = max(scale, 1e-6)
        let elapsed = since.map { Date().timeIntervalSince($0) } ?? 0
        origin = ContinuousClock.now.advanced(by: .seconds(-elapsed))
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
