import Synchronization

/// Read answers shared between callers for a short while, so that the API's cost does not
/// grow with how often it is asked: a dashboard in ten browsers, or a load test, computes the
/// status of a 1,000-cluster fleet once, not once per request, and the controller keeps its
/// CPU. An answer is fresh for `minimumAge` (2 s), or twenty times what it took to compute
/// when that is longer (the API then spends at most a twentieth of a core on each kind of
/// read; at 1,000 clusters x 50 add-ons the matrix takes about 0.2 s, so it is up to 4 s
/// old), never more than `maximumAge` (10 s); callers that come while it is being computed wait for that computation. Only
/// successful answers are kept: a store that failed is asked again. Answers are compressed
/// once here, not per caller (`Gzip`).
final class ResponseCache: Sendable {
    private struct Entry {
        var response: APIResponse
        var computedAt: ContinuousClock.Instant
        var freshFor: Duration
    }
    private enum Step: Sendable {
        case answer(APIResponse)
        case compute
    }
    private struct State {
        var entries: [String: Entry] = [:]
        /// Keys being computed, and who waits for each.
        var computing: [String: [CheckedContinuation<Step, Never>]] = [:]
        /// Keys by when they were stored: the oldest is let go beyond `capacity`.
        var order: [String] = []
    }
    private let state = Mutex(State())
    private let minimumAge: Duration
    private let maximumAge: Duration
    private let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant

    init(minimumAge: Duration = .seconds(2), maximumAge: Duration = .seconds(10), capacity: Int = 64,
         now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.minimumAge = minimumAge
        self.maximumAge = max(minimumAge, maximumAge)
        self.capacity = capacity
        self.now = now
    }

    /// The answer for `key`: kept, or being computed by another caller (waited for), or
    /// computed here, in the caller's task (so on the server's executor: `HTTPServer`).
    func response(_ key: String, compute: @Sendable () async -> APIResponse) async -> APIResponse {
        let now = self.now()
        let step: Step = await withCheckedContinuation { continuation in
            let found = state.withLock { state -> Step? in
                if let entry = state.entries[key], now - entry.computedAt < entry.freshFor { return .answer(entry.response) }
                if state.computing[key] != nil {
                    state.computing[key, default: []].append(continuation)
                    return nil
                }
                state.computing[key] = []
                return .compute
            }
            if let found { continuation.resume(returning: found) }
        }
        if case .answer(let response) = step { return response }
        let started = self.now()
        let response = await compute().withGzip()
        let finished = self.now()
        // At most `maximumAge` however long it took: on a busy machine the server's thread
        // waits for the CPU (`HTTPServer`), which is not the answer's cost.
        let waiting = store(key, response, at: finished, freshFor: min(maximumAge, max(minimumAge, (finished - started) * 20)))
        for waiter in waiting { waiter.resume(returning: .answer(response)) }
        return response
    }

    /// Keeps a successful answer; returns who waited for it.
    private func store(_ key: String, _ response: APIResponse, at instant: ContinuousClock.Instant,
                       freshFor: Duration) -> [CheckedContinuation<Step, Never>] {
        state.withLock { state in
            let waiting = state.computing.removeValue(forKey: key) ?? []
            guard response.status == 200 else { return waiting }
            if state.entries[key] == nil { state.order.append(key) }
            state.entries[key] = Entry(response: response, computedAt: instant, freshFor: freshFor)
            while state.order.count > capacity { state.entries[state.order.removeFirst()] = nil }
            return waiting
        }
    }
}
