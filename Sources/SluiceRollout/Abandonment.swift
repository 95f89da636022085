import Synchronization

/// Tells runners to give up at once: a graceful stop took too long, or the operator asked
/// twice. A runner told so cancels its actions and returns without persisting their answers
/// (the store holds their pending marks: a restart asks again, as after a `kill -9`).
public final class Abandonment: Sendable {
    private struct State {
        var fired = false
        var hooks: [@Sendable () -> Void] = []
    }
    private let state = Mutex(State())

    public init() {}

    public var isFired: Bool { state.withLock { $0.fired } }

    public func fire() {
        let hooks = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.fired else { return [] }
            state.fired = true
            defer { state.hooks = [] }
            return state.hooks
        }
        for hook in hooks { hook() }
    }

    /// Runs `hook` when fired (at once if it was).
    func onFire(_ hook: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.fired { return true }
            state.hooks.append(hook)
            return false
        }
        if now { hook() }
    }
}
