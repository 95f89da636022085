import Synchronization

/// The tasks performing a runner's actions. A graceful stop lets them finish (their answers
/// are persisted); an abandoned runner cancels them and returns without waiting, as a
/// `kill -9` would leave it: what they were doing is marked pending in the store and asked
/// again after a restart.
final class ActionTasks: Sendable {
    private struct State {
        var next = 0
        var running: [Int: Task<Void, Never>] = [:]
        /// Once cancelled, an action started later is cancelled as it starts.
        var cancelled = false
    }
    private let state = Mutex(State())

    /// Starts `body` as an action's task.
    func start(_ body: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let id = state.next
            state.next += 1
            // Registered under the lock before the task can remove itself.
            let task = Task {
                await body()
                self.finished(id)
            }
            if state.cancelled { task.cancel() } else { state.running[id] = task }
        }
    }

    /// Cancels every action still running.
    func cancelAll() {
        let running = state.withLock { state in
            state.cancelled = true
            defer { state.running = [:] }
            return Array(state.running.values)
        }
        for task in running { task.cancel() }
    }

    private func finished(_ id: Int) {
        _ = state.withLock { $0.running.removeValue(forKey: id) }
    }
}
