import Foundation
import Synchronization
import SluiceCore

/// The runner's wait while nothing is in flight: a sleep on the clock that a nudge from
/// outside cancels. The sleep runs in a task of its own so that it can be cancelled from
/// another thread, and on a virtual clock it is the runner's place among the sleepers: once
/// cancelled it leaves them at once, so time cannot jump while the nudged runner works.
final class IdleTimer: Sendable {
    private let timer = Mutex<Task<Void, Never>?>(nil)

    /// Sleeps until `deadline` or a nudge; returns false when the runner is cancelled.
    /// `unless`: asked once the timer is set, so that a nudge just before is not missed.
    func wait(until deadline: Date, on clock: any FleetClock, unless nudged: () -> Bool) async -> Bool {
        let sleep = Task { _ = try? await clock.sleep(until: deadline) }
        timer.withLock { $0 = sleep }
        if nudged() { sleep.cancel() }
        await withTaskCancellationHandler { await sleep.value } onCancel: { sleep.cancel() }
        timer.withLock { $0 = nil }
        return !Task.isCancelled
    }

    /// Ends the wait under way, if any.
    func cancel() {
        timer.withLock { $0 }?.cancel()
    }
}
