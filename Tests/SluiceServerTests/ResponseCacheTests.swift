@testable import SluiceServer
import Synchronization
import Testing

/// Reads shared between callers: one computation for everyone who asks while it runs, kept
/// while fresh, never kept when it failed.
@Suite struct ResponseCacheTests {
    @Test func callersWhileAnAnswerIsComputedShareIt() async {
        let cache = ResponseCache(minimumAge: .seconds(3_600))
        let computed = Atomic<Int>(0)
        let (gate, open) = AsyncStream<Void>.makeStream()
        let started = AsyncStream<Void>.makeStream()
        let compute: @Sendable () async -> APIResponse = {
            computed.add(1, ordering: .relaxed)
            started.continuation.yield()
            for await _ in gate { break }
            return APIResponse(status: 200, body: [1])
        }
        let first = Task { await cache.response("status", compute: compute) }
        var iterator = started.stream.makeAsyncIterator()
        _ = await iterator.next()
        // The computation is under way: these wait for it instead of starting their own.
        let others = (0..<8).map { _ in Task { await cache.response("status", compute: compute) } }
        open.yield()
        open.finish()
        #expect(await first.value.body == [1])
        for other in others { #expect(await other.value.body == [1]) }
        #expect(await cache.response("status", compute: compute).body == [1])
        #expect(computed.load(ordering: .relaxed) == 1)
    }

    @Test func aFailedAnswerIsAskedForAgain() async {
        let cache = ResponseCache(minimumAge: .seconds(3_600))
        let computed = Atomic<Int>(0)
        let compute: @Sendable () async -> APIResponse = {
            APIResponse(status: computed.add(1, ordering: .relaxed).newValue == 1 ? 503 : 200)
        }
        #expect(await cache.response("matrix", compute: compute).status == 503)
        #expect(await cache.response("matrix", compute: compute).status == 200)
        #expect(await cache.response("matrix", compute: compute).status == 200)
        #expect(computed.load(ordering: .relaxed) == 2)
    }

    /// A clock the test moves: each compute "takes" `computeTime`.
    final class StepClock: Sendable {
        let offset = Atomic<Int64>(0)
        let start = ContinuousClock.now
        func now() -> ContinuousClock.Instant { start + .milliseconds(offset.load(ordering: .relaxed)) }
        func advance(_ milliseconds: Int64) { offset.add(milliseconds, ordering: .relaxed) }
    }

    @Test func anAnswerIsFreshForTwentyTimesItsCostThenComputedAgain() async {
        let clock = StepClock()
        let cache = ResponseCache(minimumAge: .seconds(2), now: clock.now)
        let computed = Atomic<Int>(0)
        // 300 ms to compute: fresh for 6 s (over the 2 s floor).
        let slow: @Sendable () async -> APIResponse = {
            clock.advance(300)
            return APIResponse(status: 200, body: [UInt8(computed.add(1, ordering: .relaxed).newValue)])
        }
        #expect(await cache.response("matrix", compute: slow).body == [1])
        clock.advance(5_900)
        #expect(await cache.response("matrix", compute: slow).body == [1])
        clock.advance(100)
        #expect(await cache.response("matrix", compute: slow).body == [2])
        // Instant to compute: the 2 s floor holds.
        let fast: @Sendable () async -> APIResponse = { APIResponse(status: 200, body: [UInt8(computed.add(1, ordering: .relaxed).newValue)]) }
        #expect(await cache.response("status", compute: fast).body == [3])
        clock.advance(1_999)
        #expect(await cache.response("status", compute: fast).body == [3])
        clock.advance(1)
        #expect(await cache.response("status", compute: fast).body == [4])
        // 30 s to compute (a starved thread, not the cost): fresh for 10 s, not 600.
        let starved: @Sendable () async -> APIResponse = {
            clock.advance(30_000)
            return APIResponse(status: 200, body: [UInt8(computed.add(1, ordering: .relaxed).newValue)])
        }
        #expect(await cache.response("history", compute: starved).body == [5])
        clock.advance(9_999)
        #expect(await cache.response("history", compute: starved).body == [5])
        clock.advance(1)
        #expect(await cache.response("history", compute: starved).body == [6])
    }

    @Test func theOldestKeysAreLetGoBeyondTheCapacity() async {
        let cache = ResponseCache(minimumAge: .seconds(3_600), capacity: 3)
        let computed = Atomic<Int>(0)
        let compute: @Sendable () async -> APIResponse = { APIResponse(status: 200, body: [UInt8(computed.add(1, ordering: .relaxed).newValue)]) }
        for key in ["a", "b", "c", "d"] { _ = await cache.response(key, compute: compute) }
        #expect(await cache.response("d", compute: compute).body == [4])
        #expect(await cache.response("b", compute: compute).body == [2])
        #expect(await cache.response("a", compute: compute).body == [5])
    }
}
