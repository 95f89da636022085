import Foundation
import Synchronization

/// Virtual time for tests and `--virtual-time`: time stands still while any participant
/// works, and once every participant waits, it jumps to the earliest deadline and wakes the
/// sleepers due then. So the order of events depends only on the deadlines, however many
/// tasks run at once: a bake of an hour and pods that start in ten seconds interleave
/// exactly as they would on the wall clock, in milliseconds.
///
/// A sleeper outside any participant (no one has joined) moves time to its deadline at
/// once, which is what a single sequential caller such as `sluice apply` needs.
///
/// A class behind a lock rather than an actor: a cancelled sleep leaves the clock before
/// `cancel()` returns. A runner that races a sleep against a nudge and cancels the sleep
/// must not leave a sleeper behind for a moment, or time could jump while it works.
public final class VirtualClock: FleetClock {
    private typealias Waiter = CheckedContinuation<Void, any Error>

    private struct State {
        var current: Date
        var participants = 0
        var sleepers: [UInt64: (deadline: Date, continuation: Waiter)] = [:]
        /// Sleeps given an id whose continuation is not registered yet.
        var registering: Set<UInt64> = []
        /// Of those, the ones cancelled meanwhile.
        var cancelledEarly: Set<UInt64> = []
        var nextSleeper: UInt64 = 0

        /// Every participant waits: jump to the earliest deadline. Returns whom to wake.
        mutating func advanceIfIdle() -> [Waiter] {
            guard !sleepers.isEmpty, sleepers.count >= participants,
                  let earliest = sleepers.values.map(\.deadline).min() else { return [] }
            if earliest > current { current = earliest }
            return takeDue()
        }

        /// Taken in deadline order, so that equal runs resume alike.
        mutating func takeDue() -> [Waiter] {
            var due: [Waiter] = []
            for (id, sleeper) in sleepers.sorted(by: { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) })
            where sleeper.deadline <= current {
                sleepers.removeValue(forKey: id)
                due.append(sleeper.continuation)
            }
            return due
        }
    }

    private let state: Mutex<State>

    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(current: start))
    }

    public func now() async -> Date { state.withLock { $0.current } }

    public func sleep(until deadline: Date) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state -> UInt64? in
            guard deadline > state.current else { return nil }
            guard state.participants > 0 else {
                state.current = deadline
                return nil
            }
            let id = state.nextSleeper
            state.nextSleeper += 1
            state.registering.insert(id)
            return id
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let (cancelled, due) = state.withLock { state -> (Bool, [Waiter]) in
                    state.registering.remove(id)
                    if state.cancelledEarly.remove(id) != nil { return (true, []) }
                    state.sleepers[id] = (deadline, continuation)
                    return (false, state.advanceIfIdle())
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
                for waiter in due { waiter.resume() }
            }
        } onCancel: {
            let (cancelled, due) = state.withLock { state -> (Waiter?, [Waiter]) in
                if state.registering.contains(id) {
                    state.cancelledEarly.insert(id)
                    return (nil, [])
                }
                guard let sleeper = state.sleepers.removeValue(forKey: id) else { return (nil, []) }
                return (sleeper.continuation, state.advanceIfIdle())
            }
            cancelled?.resume(throwing: CancellationError())
            for waiter in due { waiter.resume() }
        }
    }

    /// Moves time forward by hand (tests), waking whoever is due.
    public func advance(by seconds: Double) async {
        guard seconds > 0 else { return }
        let due = state.withLock { state in
            state.current = state.current.addingTimeInterval(seconds)
            return state.takeDue()
        }
        for waiter in due { waiter.resume() }
    }

    public func enter() async { state.withLock { $0.participants += 1 } }

    public func leave() async {
        let due = state.withLock { state in
            state.participants -= 1
            return state.advanceIfIdle()
        }
        for waiter in due { waiter.resume() }
    }
}
