import Synchronization

/// Wake-ups from outside the controller: a webhook that says a branch moved, an operator
/// command queued through the API. A nudged environment's runner reads its branch head and
/// its commands at once instead of at its next interval. A nudge for a runner that is busy
/// waits until it looks; several nudges before it looks are one.
public final class Nudges: Sendable {
    private struct State {
        var pending: Set<String> = []
        /// The running runner of each environment: how to wake it.
        var wakers: [String: @Sendable () -> Void] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Nudges one environment, or every one (nil) when the caller cannot tell which (a push
    /// to a branch several environments follow, or to the fleet repo's default branch).
    public func nudge(environment: String? = nil) {
        let wakers = state.withLock { state -> [@Sendable () -> Void] in
            if let environment {
                state.pending.insert(environment)
                return state.wakers[environment].map { [$0] } ?? []
            }
            state.pending.formUnion(state.wakers.keys)
            return Array(state.wakers.values)
        }
        for wake in wakers { wake() }
    }

    /// Whether a nudge waits for the environment's runner (tests, status).
    public func isPending(_ environment: String) -> Bool {
        state.withLock { $0.pending.contains(environment) }
    }

    /// Whether the environment was nudged since it last asked; the nudge is consumed.
    func take(_ environment: String) -> Bool {
        state.withLock { $0.pending.remove(environment) != nil }
    }

    /// The runner of `environment` is woken by `waker` until `leave`.
    func join(_ environment: String, waker: @escaping @Sendable () -> Void) {
        state.withLock { $0.wakers[environment] = waker }
    }

    func leave(_ environment: String) {
        _ = state.withLock { $0.wakers.removeValue(forKey: environment) }
    }
}
