import Foundation

/// The time a driver (and later the rollout engine) runs on. `SystemClock` is the wall clock;
/// `VirtualClock` makes every wait advance time at once, so an hour-long pipeline of pod
/// start-ups, bakes and polls runs in milliseconds (`--virtual-time`).
public protocol FleetClock: Sendable {
    func now() async -> Date
    /// Waits `seconds`; on a virtual clock, moves time forward instead.
    func sleep(seconds: Double) async throws
}

public struct SystemClock: FleetClock {
    public init() {}

    public func now() async -> Date { Date() }

    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
    }
}

/// Time that passes only when someone waits (or `advance` is called). Waiting never blocks:
/// with several waiters, time is the furthest any has waited to, which is what a test of a
/// sequential rollout needs.
public actor VirtualClock: FleetClock {
    private var current: Date

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = start
    }

    public func now() -> Date { current }

    public func sleep(seconds: Double) async throws {
        try Task.checkCancellation()
        advance(by: seconds)
    }

    public func advance(by seconds: Double) {
        guard seconds > 0 else { return }
        current = current.addingTimeInterval(seconds)
    }
}
